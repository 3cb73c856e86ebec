import Foundation
import Testing

@testable import PostgresFormat
@testable import Restore

/// `pgsnap restore` end to end on real servers: a backup taken with `--snapshot none` is
/// restored by pgsnap (not by hand), checked on disk and with pg_verifybackup before start-up,
/// then started and queried. Point-in-time recovery replays from a WAL archive the test keeps.
@Suite("pgsnap restore on real servers", .serialized, .integration)
struct RestoreCommandTests {
    // MARK: - Plain restore, relocated tablespace, every supported version

    /// PostgreSQL 16 names the tablespace by OID and gets a directory that already exists
    /// (empty, root's, 0755: pgsnap must give it to the cluster's owner); 15 and 18 name it
    /// and let pgsnap create it.
    @Test(arguments: PostgresInstallation.required)
    func restoresABackupTakenUnderLoadWithARelocatedTablespace(major: Int) throws {
        try withCluster(major) { cluster in
            let originalLocation = try cluster.createTablespace("fast")
            try cluster.initializePgbench(scale: 1, tablespace: "fast")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let record = try backup(cluster, into: target, underLoad: true)
            let id = try #require(record["id"] as? String)
            let walSegments = try #require(record["wal_segments"] as? [String])
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")

            let root = try TemporaryDirectory.make(prefix: "pgsnap-pg\(major)-restore-", owner: TestCluster.user)
            let restored = try RestoredCluster(adopting: root, installation: cluster.installation)
            defer { restored.destroy() }
            let pgdata = restored.dataDirectory
            let relocated = root + "/tablespace-fast"
            let byOID = major == 16
            if byOID {
                try FileManager.default.createDirectory(atPath: relocated, withIntermediateDirectories: false)
                chmod(relocated, 0o755)
            }
            let run = try Pgsnap.run([
                "restore", id, "--target", target, "--pgdata", pgdata, "--json",
                "--tablespace", (byOID ? oid : "fast") + "=" + relocated,
            ])
            try #require(run.status == 0, "\(run.output)")

            let summary = try run.json()
            #expect(summary["id"] as? String == id)
            #expect(summary["pgdata"] as? String == pgdata)
            #expect(summary["recovery"] as? String == "none")
            let spaces = try #require(summary["tablespaces"] as? [[String: Any]], "\(summary)")
            #expect(spaces.count == 1)
            #expect(text(spaces.first?["oid"]) == oid)
            #expect(spaces.first?["name"] as? String == "fast")
            #expect(spaces.first?["location"] as? String == relocated)
            #expect((summary["files"] as? Int ?? 0) > 0)
            #expect((summary["bytes"] as? Int ?? 0) > 0)

            expectRestoredLayout(
                pgdata, major: major, tablespaces: [oid: relocated], walSegments: walSegments,
                signal: nil)
            #expect(FileTree.children(originalLocation).count == 1, "the original tablespace was written to")
            expectVerifyBackup(pgdata, cluster.installation)

            try start(restored)
            #expect(try restored.psql(BackupCommandTests.invariantSQL) == "t", "\(restored.serverLog)")
            #expect(try restored.psql("SELECT count(*) FROM pgbench_accounts") == "100000")
            #expect(try restored.psql("SELECT pg_tablespace_location(\(oid))") == relocated)
            // A relation created after start-up lands in the relocated directory, not the original.
            try restored.psql("CREATE TABLE after_restore TABLESPACE fast AS SELECT 1 AS x")
            let file = try restored.psql("SELECT pg_relation_filepath('after_restore')")
            let inTablespace = String(file.dropFirst("pg_tblspc/\(oid)/".count))
            #expect(file.hasPrefix("pg_tblspc/\(oid)/"), "\(file)")
            #expect(FileTree.exists(relocated + "/" + inTablespace))
            #expect(!FileTree.exists(originalLocation + "/" + inTablespace))
            expectAmcheckClean(restored, major: major)
        }
    }

    /// Without `--tablespace` a tablespace goes back where it was. While the original cluster
    /// still uses that directory the restore is refused; once it is free, the restored cluster
    /// lives there.
    @Test(arguments: PostgresInstallation.required)
    func restoresTablespacesToTheirOriginalLocationsOnceTheyAreFree(major: Int) throws {
        try withCluster(major) { cluster in
            let original = try cluster.createTablespace("fast")
            try cluster.initializePgbench(scale: 1, tablespace: "fast")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let record = try backup(cluster, into: target)
            let id = try #require(record["id"] as? String)
            let walSegments = try #require(record["wal_segments"] as? [String])
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
            let root = try TemporaryDirectory.make(prefix: "pgsnap-pg\(major)-restore-", owner: TestCluster.user)
            let restored = try RestoredCluster(adopting: root, installation: cluster.installation)
            defer { restored.destroy() }
            let pgdata = restored.dataDirectory

            // The live tablespace: refused with and without --overwrite (which must not be
            // suggested: it cannot help), and not one byte of it changes.
            let before = FileTree.listing(original)
            let sums = checksums(original)
            for extra in [[], ["--overwrite"]] {
                let refused = try Pgsnap.run(["restore", id, "--target", target, "--pgdata", pgdata] + extra)
                #expect(refused.status == 10, "\(extra): \(refused.output)")
                expectOneLineMessage(refused, naming: original)
                #expect(refused.stderr.contains("running in \(cluster.dataDirectory)"), "\(refused.output)")
                #expect(!refused.stderr.contains("--overwrite"), "the hint suggests --overwrite: \(refused.output)")
                #expect(FileTree.listing(original) == before, "the original tablespace was touched")
                #expect(checksums(original) == sums, "the original tablespace's files changed")
                #expect(FileTree.isAbsentOrEmpty(pgdata), "\(FileTree.paths(pgdata))")
                #expect(try cluster.psql("SELECT count(*) FROM pgbench_accounts") == "100000")
            }

            try cluster.stop()
            try FileManager.default.moveItem(atPath: original, toPath: original + ".moved")
            let run = try Pgsnap.run(["restore", id, "--target", target, "--pgdata", pgdata, "--json"])
            try #require(run.status == 0, "\(run.output)")
            let spaces = try run.json()["tablespaces"] as? [[String: Any]]
            #expect(spaces?.first?["location"] as? String == original)
            expectRestoredLayout(
                pgdata, major: major, tablespaces: [oid: original], walSegments: walSegments, signal: nil)
            expectVerifyBackup(pgdata, cluster.installation)
            try start(restored)
            #expect(try restored.psql(BackupCommandTests.invariantSQL) == "t")
            #expect(try restored.psql("SELECT count(*) FROM pgbench_accounts") == "100000")
            #expect(try restored.psql("SELECT pg_tablespace_location(\(oid))") == original)
        }
    }

    // MARK: - Refusals

    @Test func refusesDestinationsAndBackupsItMustNotUse() throws {
        try withCluster(15) { cluster in
            try cluster.createTablespace("fast")
            try cluster.psql("CREATE TABLE kept TABLESPACE fast AS SELECT generate_series(1, 1000) AS g")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            // postgres must reach the restored directories (pg_verifybackup runs as postgres).
            let scratch = try TemporaryDirectory.make(prefix: "pgsnap-restore-refusals-", owner: TestCluster.user)
            defer {
                try? FileManager.default.removeItem(atPath: target)
                try? FileManager.default.removeItem(atPath: scratch)
            }
            let id = try #require(try backup(cluster, into: target)["id"] as? String)
            func restore(_ arguments: [String]) throws -> Pgsnap.Run {
                try Pgsnap.run(["restore"] + arguments + ["--target", target])
            }
            let relocated = scratch + "/ts"

            // A data directory with something in it: refused, untouched.
            let occupied = scratch + "/occupied"
            try FileManager.default.createDirectory(atPath: occupied + "/base/1", withIntermediateDirectories: true)
            try "keep me\n".write(toFile: occupied + "/keep.txt", atomically: false, encoding: .utf8)
            try "stale relation\n".write(toFile: occupied + "/base/1/99999", atomically: false, encoding: .utf8)
            let before = FileTree.listing(occupied)
            let refused = try restore([id, "--pgdata", occupied, "--tablespace", "fast=" + relocated])
            #expect(refused.status == 10, "\(refused.output)")
            expectOneLineMessage(refused, naming: occupied)
            #expect(FileTree.listing(occupied) == before)
            #expect(!FileTree.exists(relocated), "a refused restore created the tablespace directory")

            // The same with --overwrite: replaced, and nothing of the old content survives
            // (pg_verifybackup would report it as a file not in the manifest).
            let overwritten = try restore([
                id, "--pgdata", occupied, "--tablespace", "fast=" + relocated, "--overwrite",
            ])
            #expect(overwritten.status == 0, "\(overwritten.output)")
            #expect(!FileTree.exists(occupied + "/keep.txt"))
            #expect(!FileTree.exists(occupied + "/base/1/99999"))
            #expect(FileTree.exists(occupied + "/backup_label"))
            #expect(FileTree.mode(occupied) == 0o700)
            #expect(FileTree.owner(occupied) == FileTree.postgresUID)
            expectVerifyBackup(occupied, cluster.installation)

            // A tablespace directory with something in it: refused, untouched.
            let busy = scratch + "/busy-tablespace"
            try FileManager.default.createDirectory(atPath: busy, withIntermediateDirectories: false)
            try "mine\n".write(toFile: busy + "/keep.txt", atomically: false, encoding: .utf8)
            let busyBefore = FileTree.listing(busy)
            let fresh = scratch + "/fresh"
            let refusedTablespace = try restore([id, "--pgdata", fresh, "--tablespace", "fast=" + busy])
            #expect(refusedTablespace.status == 10, "\(refusedTablespace.output)")
            expectOneLineMessage(refusedTablespace, naming: busy)
            #expect(FileTree.listing(busy) == busyBefore)
            #expect(FileTree.isAbsentOrEmpty(fresh), "\(FileTree.paths(fresh))")

            // Backups that do not exist or are not complete: exit 9, named.
            try FileManager.default.createDirectory(
                atPath: target + "/20200102T000000Z.partial",
                withIntermediateDirectories: false)
            try FileManager.default.createDirectory(
                atPath: target + "/20200103T000000Z.failed",
                withIntermediateDirectories: false)
            try """
            {"id":"20200103T000000Z","label":"failed run","status":"failed","start_time":"2020-01-03T00:00:00Z",
             "stop_time":"2020-01-03T00:00:05Z","error":"PostgreSQL went away","exit_status":4,"pgsnap_version":"0.1.0"}
            """.write(toFile: target + "/20200103T000000Z.failed/backup.json", atomically: false, encoding: .utf8)
            for missing in ["20200101T000000Z", "20200102T000000Z", "20200103T000000Z"] {
                let run = try restore([missing, "--pgdata", fresh, "--tablespace", "fast=" + relocated + "-2"])
                #expect(run.status == 9, "\(missing): \(run.output)")
                expectOneLineMessage(run, naming: missing)
                #expect(FileTree.isAbsentOrEmpty(fresh), "\(FileTree.paths(fresh))")
                #expect(!FileTree.exists(relocated + "-2"))
            }

            // --tablespace naming a tablespace the backup does not have: a usage or
            // configuration error naming it, before anything is written.
            for (spec, name) in [("nosuch=" + relocated + "-3", "nosuch"), ("424242=" + relocated + "-3", "424242")] {
                let run = try restore([id, "--pgdata", fresh, "--tablespace", spec])
                #expect(run.status == 64 || run.status == 3, "\(spec): \(run.output)")
                expectOneLineMessage(run, naming: name)
                #expect(FileTree.isAbsentOrEmpty(fresh), "\(FileTree.paths(fresh))")
                #expect(!FileTree.exists(relocated + "-3"))
            }

            // Last, since a wrong answer destroys it: never over a running server, even with --overwrite.
            let running = try restore([
                id, "--pgdata", cluster.dataDirectory, "--overwrite", "--tablespace",
                "fast=" + relocated + "-4",
            ])
            #expect(running.status == 10, "\(running.output)")
            expectOneLineMessage(running, naming: cluster.dataDirectory)
            #expect(try cluster.psql("SELECT count(*) FROM kept") == "1000")
            #expect(!FileTree.exists(cluster.dataDirectory + "/backup_label"))
            try cluster.psql("CHECKPOINT")
            #expect(!FileTree.exists(relocated + "-4"))
        }
    }

    /// Any running server on the host, not just the backup's original: a restore aimed at its
    /// data directory, its pg_wal (a symlink to another directory), a tablespace it links to,
    /// or a directory containing its data directory is refused with --overwrite, and the server
    /// and its files are untouched.
    @Test func neverWritesIntoDirectoriesARunningClusterUses() throws {
        let shared = try SharedBackup.get()
        try withCluster(15) { other in
            let tablespace = try other.createTablespace("busy")
            try other.psql("CREATE TABLE live TABLESPACE busy AS SELECT generate_series(1, 3000) AS g")
            try other.psql("CREATE TABLE live_wal AS SELECT generate_series(1, 2000) AS g")
            // pg_wal on a directory of its own, as initdb --waldir lays it out.
            try other.stop()
            let wal = other.root + "/wal"
            try FileManager.default.moveItem(atPath: other.dataDirectory + "/pg_wal", toPath: wal)
            try FileManager.default.createSymbolicLink(
                atPath: other.dataDirectory + "/pg_wal", withDestinationPath: wal)
            try other.start()
            try other.psql("CHECKPOINT")
            let scratch = try TemporaryDirectory.make(prefix: "pgsnap-restore-in-use-", owner: TestCluster.user)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let fresh = scratch + "/data"
            // The live WAL is written while the test runs, so for it: same files (names and
            // inodes: nothing removed or replaced).
            let sums = checksums(tablespace)
            func walFiles() -> [String] {
                Command.run("/usr/bin/find", [wal, "-printf", "%P %i\n"]).output.split(separator: "\n").map(String.init)
                    .sorted()
            }
            let walBefore = walFiles()
            let cases: [(arguments: [String], named: String)] = [
                (["--pgdata", other.dataDirectory, "--tablespace", "fast=\(scratch)/fast"], other.dataDirectory),
                (["--pgdata", other.root, "--tablespace", "fast=\(scratch)/fast"], other.root),
                (["--pgdata", fresh, "--waldir", wal, "--tablespace", "fast=\(scratch)/fast"], wal),
                (["--pgdata", fresh, "--tablespace", "fast=" + tablespace], tablespace),
                (["--pgdata", fresh, "--tablespace", "fast=\(tablespace)/PG_15_new"], tablespace),
            ]
            for (arguments, named) in cases {
                let run = try Pgsnap.run(["restore", shared.id, "--target", shared.target, "--overwrite"] + arguments)
                #expect(run.status == 10, "\(arguments): \(run.output)")
                expectOneLineMessage(run, naming: named)
                #expect(run.stderr.contains("running in \(other.dataDirectory)"), "\(run.output)")
                #expect(!run.stderr.contains("--overwrite"), "\(run.output)")
                #expect(!FileTree.exists(fresh), "\(arguments): a refused restore created \(fresh)")
                #expect(!FileTree.exists(scratch + "/fast"), "\(arguments)")
                #expect(checksums(tablespace) == sums, "\(arguments): \(tablespace) changed")
                #expect(walFiles() == walBefore, "\(arguments): \(wal) changed")
                #expect(try other.psql("SELECT count(*) FROM live") == "3000")
                #expect(try other.psql("SELECT count(*) FROM live_wal") == "2000")
            }
            #expect(FileTree.linkTarget(other.dataDirectory + "/pg_wal") == wal)
            #expect(!FileTree.exists(other.dataDirectory + "/backup_label"))
        }
    }

    /// `--overwrite` over a stopped cluster whose pg_wal (and a separate old WAL directory)
    /// still had segments to archive: those segments and their `.ready` go to a 0700 directory
    /// next to the destination, named in the log and the JSON, never deleted.
    @Test func overwriteKeepsUnarchivedWALAside() throws {
        let shared = try SharedBackup.get()
        let root = try TemporaryDirectory.make(prefix: "pgsnap-pg15-restore-", owner: TestCluster.user)
        let restored = try RestoredCluster(adopting: root, installation: shared.installation)
        defer { restored.destroy() }
        let pgdata = restored.dataDirectory
        let walDirectory = root + "/wal"
        func oldWAL(_ directory: String, ready: String, done: String) throws {
            try FileManager.default.createDirectory(
                atPath: directory + "/archive_status", withIntermediateDirectories: true)
            for name in [ready, done] {
                try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: directory + "/" + name))
            }
            try Data().write(to: URL(fileURLWithPath: directory + "/archive_status/\(ready).ready"))
            try Data().write(to: URL(fileURLWithPath: directory + "/archive_status/\(done).done"))
        }
        try oldWAL(pgdata + "/pg_wal", ready: "000000010000000000000042", done: "000000010000000000000041")
        try "old\n".write(toFile: pgdata + "/PG_VERSION", atomically: false, encoding: .utf8)
        try oldWAL(walDirectory, ready: "000000030000000000000099", done: "000000030000000000000098")
        let run = try Pgsnap.run([
            "restore", shared.id, "--target", shared.target, "--pgdata", pgdata, "--waldir",
            walDirectory, "--tablespace", "fast=\(root)/fast", "--overwrite", "--json",
        ])
        try #require(run.status == 0, "\(run.output)")
        let kept = try #require(try run.json()["unarchived_wal"] as? [String], "\(run.output)")
        #expect(kept.count == 2, "\(kept)")
        for (directory, owner, ready) in [
            (kept.first ?? "", pgdata, "000000010000000000000042"),
            (kept.last ?? "", walDirectory, "000000030000000000000099"),
        ] {
            #expect(directory.hasPrefix(owner + ".pgsnap-unarchived-wal-"), "\(directory)")
            #expect(FileTree.mode(directory) == 0o700)
            #expect(FileTree.children(directory) == [ready, "archive_status"].sorted())
            #expect(FileTree.children(directory + "/archive_status") == [ready + ".ready"])
            #expect(FileTree.lstatus(directory + "/" + ready)?.st_size == 4096)
            #expect(run.stderr.contains(directory), "not named in the log: \(run.output)")
        }
        // The archived segments went with the old contents; the restored WAL is the backup's.
        #expect(!FileTree.exists(walDirectory + "/000000030000000000000098"))
        #expect(!FileTree.exists(walDirectory + "/000000030000000000000099"))
        expectVerifyBackup(pgdata, shared.installation)
        for directory in kept { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: - Point in time, from a WAL archive (PostgreSQL 15 only, to keep the run short)

    /// `--waldir`: WAL restored elsewhere and pg_wal a symlink to it, as `initdb --waldir` and
    /// `pg_basebackup --waldir` lay a cluster out (pgsnap backs up clusters with pg_wal on its
    /// own volume, so it must restore them that way too).
    @Test func restoresWALIntoASeparateDirectory() throws {
        let shared = try SharedBackup.get()
        let root = try TemporaryDirectory.make(prefix: "pgsnap-pg15-restore-", owner: TestCluster.user)
        let restored = try RestoredCluster(adopting: root, installation: shared.installation)
        defer { restored.destroy() }
        let walDirectory = root + "/wal"
        let run = try Pgsnap.run([
            "restore", shared.id, "--target", shared.target, "--pgdata", restored.dataDirectory,
            "--tablespace", "fast=\(root)/fast", "--waldir", walDirectory, "--json",
        ])
        try #require(run.status == 0, "\(run.output)")
        #expect(try run.json()["wal_directory"] as? String == walDirectory)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: restored.dataDirectory + "/pg_wal")
                == walDirectory)
        let record =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: shared.directory + "/backup.json"))) as? [String: Any]
        let segments = try #require(record?["wal_segments"] as? [String])
        let present = try FileManager.default.contentsOfDirectory(atPath: walDirectory)
        #expect(!segments.isEmpty && segments.allSatisfy(present.contains), "\(present)")
        let attributes = try FileManager.default.attributesOfItem(atPath: walDirectory)
        #expect(attributes[.posixPermissions] as? Int == 0o700)
        #expect(attributes[.ownerAccountName] as? String == TestCluster.user)
        expectVerifyBackup(restored.dataDirectory, shared.installation)
        try start(restored, settings: ["archive_mode=off"])
        #expect(try restored.psql("SELECT count(*) FROM kept") == "5000", "\(restored.serverLog)")
        #expect(try restored.psql("SELECT pg_walfile_name(pg_current_wal_lsn())").isEmpty == false)
        // The running server writes its WAL through the symlink, into the separate directory.
        #expect(try FileManager.default.contentsOfDirectory(atPath: walDirectory).contains("archive_status"))
    }

    /// SIGTERM while archives are being extracted: exit 8, and what was written is gone, the
    /// tablespace directory it created included. The process is stopped (SIGSTOP) as soon as
    /// the first files appear, so the signal arrives mid-extraction however fast the machine.
    @Test func sigtermMidRestoreRemovesWhatItWrote() throws {
        try withCluster(15) { cluster in
            try cluster.createTablespace("fast")
            try cluster.initializePgbench(scale: 10, tablespace: "fast")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let id = try #require(try backup(cluster, into: target)["id"] as? String)
            let root = try TemporaryDirectory.make(prefix: "pgsnap-pg15-restore-", owner: TestCluster.user)
            defer { try? FileManager.default.removeItem(atPath: root) }
            let pgdata = root + "/data"
            let relocated = root + "/fast"
            var interrupted = false
            for _ in 0..<3 where !interrupted {
                let process = try Pgsnap.start([
                    "restore", id, "--target", target, "--pgdata", pgdata,
                    "--tablespace", "fast=\(relocated)",
                ])
                var started = false
                for _ in 0..<4000 where !started {
                    started = FileManager.default.fileExists(atPath: pgdata + "/base")
                    if !started { usleep(1000) }
                }
                kill(process.pid, SIGSTOP)
                let midWay = started && !FileManager.default.fileExists(atPath: pgdata + "/backup_label")
                kill(process.pid, SIGTERM)
                kill(process.pid, SIGCONT)
                let (status, output) = process.wait()
                if midWay && status == 8 {
                    interrupted = true
                    #expect(output.contains("interrupted"), "\(output)")
                } else {
                    // It finished before the signal could land: start over on a clean slate.
                    #expect(status == 0 || status == 8, "\(output)")
                    try? FileManager.default.removeItem(atPath: pgdata)
                    try? FileManager.default.removeItem(atPath: relocated)
                    continue
                }
                #expect(!FileManager.default.fileExists(atPath: pgdata), "\(FileTree.paths(pgdata).prefix(10))")
                #expect(!FileManager.default.fileExists(atPath: relocated), "\(FileTree.paths(relocated).prefix(10))")
            }
            #expect(interrupted, "the restore never got interrupted mid-way")
        }
    }

    /// A destination file system that fills up mid-restore: exit 10 naming the error, and the
    /// (pre-existing, mounted) data directory is left empty again.
    @Test func aFullDestinationFailsCleanly() throws {
        let shared = try SharedBackup.get()
        try SmallFileSystem.withMounted(prefix: "pgsnap-pg15-restore-img-") { mountPoint, image in
            try FileManager.default.removeItem(atPath: mountPoint + "/lost+found")
            let run = try Pgsnap.run([
                "restore", shared.id, "--target", shared.target, "--pgdata", mountPoint,
                "--tablespace", "fast=\(image)/fast",
            ])
            #expect(run.status == 10, "\(run.output)")
            #expect(run.output.contains("No space left on device"), "\(run.output)")
            #expect(FileTree.children(mountPoint).isEmpty, "\(FileTree.paths(mountPoint).prefix(10))")
            #expect(!FileTree.exists(image + "/fast"))
        }
    }

    @Test func pointInTimeRecoveryFromAWALArchive() throws {
        try withCluster(15) { cluster in
            let archive = try TemporaryDirectory.make(prefix: "pgsnap-wal-archive-", owner: TestCluster.user)
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer {
                try? FileManager.default.removeItem(atPath: archive)
                try? FileManager.default.removeItem(atPath: target)
            }
            try cluster.psql("ALTER SYSTEM SET archive_mode = on")
            try cluster.psql("ALTER SYSTEM SET archive_command = 'cp %p \(archive)/%f'")
            try cluster.stop()
            try cluster.start()
            try cluster.psql("CREATE TABLE early AS SELECT generate_series(1, 100) AS g")
            let id = try #require(try backup(cluster, into: target)["id"] as? String)

            // After the backup: rows that only the archive has, a named point, a time and an LSN
            // just before they are dropped.
            try cluster.psql("CREATE TABLE precious AS SELECT generate_series(1, 1000) AS g")
            Thread.sleep(forTimeInterval: 1.1)
            try cluster.psql("SELECT pg_create_restore_point('before_drop')")
            let lsn = try cluster.psql("SELECT pg_current_wal_insert_lsn()")
            // Whole seconds, at least 1 s after the rows were committed and before the drop, in
            // the form psql prints a timestamptz (what a DBA copies). Not "…T…Z": PostgreSQL's
            // recovery_target_time rejects time zone abbreviations such as Z.
            let time = try cluster.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
            Thread.sleep(forTimeInterval: 1.1)
            try cluster.psql("DROP TABLE precious")
            let segment = try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())")
            try waitUntilArchived(segment, cluster: cluster, archive: archive)

            let restoreCommand = "cp \(archive)/%f %p"
            let targets: [(flags: [String], setting: String, value: String)] = [
                (["--target-name", "before_drop"], "recovery_target_name", "before_drop"),
                (["--target-time", time], "recovery_target_time", String(time.prefix(10))),
                (["--target-lsn", lsn], "recovery_target_lsn", lsn),
            ]
            for pointInTime in targets {
                try withRestore(
                    id, target: target, cluster: cluster,
                    ["--restore-command", restoreCommand, "--target-action", "promote"] + pointInTime.flags
                ) {
                    restored, summary in
                    let pgdata = restored.dataDirectory
                    #expect(summary["recovery"] as? String == "recovery.signal")
                    #expect(FileTree.exists(pgdata + "/recovery.signal"))
                    #expect(!FileTree.exists(pgdata + "/standby.signal"))
                    expectSetting(pgdata, "restore_command", archive)
                    expectSetting(pgdata, pointInTime.setting, pointInTime.value)
                    expectSetting(pgdata, "recovery_target_action", "promote")
                    try start(restored, settings: ["archive_mode=off"])
                    #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
                    #expect(try restored.psql("SELECT count(*) FROM precious") == "1000", "\(pointInTime.flags)")
                    #expect(try restored.psql("SELECT count(*) FROM early") == "100")
                    #expect(!FileTree.exists(pgdata + "/recovery.signal"), "recovery.signal is removed at promotion")
                }
            }

            // No target: everything the archive has is replayed, the drop included.
            try withRestore(id, target: target, cluster: cluster, ["--restore-command", restoreCommand]) {
                restored, summary in
                #expect(summary["recovery"] as? String == "recovery.signal")
                #expect(FileTree.exists(restored.dataDirectory + "/recovery.signal"))
                expectSetting(restored.dataDirectory, "restore_command", archive)
                let settings = autoConf(restored.dataDirectory)
                #expect(
                    !settings.contains("recovery_target_name") && !settings.contains("recovery_target_time")
                        && !settings.contains("recovery_target_lsn"), "\(settings)")
                try start(restored, settings: ["archive_mode=off"])
                #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
                #expect(try restored.psql("SELECT to_regclass('precious') IS NULL") == "t")
                #expect(try restored.psql("SELECT count(*) FROM early") == "100")
                try expectBackupAfterFailoverRestores(restored, installation: cluster.installation)
            }

            // A standby: standby.signal, and the server stays in recovery.
            try withRestore(id, target: target, cluster: cluster, ["--standby", "--restore-command", restoreCommand]) {
                restored, summary in
                #expect(summary["recovery"] as? String == "standby.signal")
                #expect(FileTree.exists(restored.dataDirectory + "/standby.signal"))
                #expect(!FileTree.exists(restored.dataDirectory + "/recovery.signal"))
                expectSetting(restored.dataDirectory, "restore_command", archive)
                try start(restored, settings: ["archive_mode=off"])
                #expect(try restored.psql("SELECT pg_is_in_recovery()") == "t")
                #expect(try restored.psql("SELECT count(*) FROM early") == "100")
            }
        }
    }

    /// The README's "recover to just before a mistake" with a nightly backup taken after the
    /// mistake: `latest --target-time T` restores the earlier backup, and the dropped table
    /// comes back. The clone, restored next to the running original, has archive_mode off by
    /// default and pushes nothing (not even its new timeline's history file) into the
    /// original's archive.
    @Test func aRecoveryTargetGetsABackupThatEndedBeforeIt() throws {
        try withCluster(15) { cluster in
            let archive = try TemporaryDirectory.make(prefix: "pgsnap-wal-archive-", owner: TestCluster.user)
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            let scratch = try TemporaryDirectory.make(prefix: "pgsnap-pg15-restore-refused-")
            defer {
                for directory in [archive, target, scratch] { try? FileManager.default.removeItem(atPath: directory) }
            }
            try cluster.psql("ALTER SYSTEM SET archive_mode = on")
            try cluster.psql("ALTER SYSTEM SET archive_command = 'cp %p \(archive)/%f'")
            try cluster.stop()
            try cluster.start()
            try cluster.psql("CREATE TABLE precious AS SELECT generate_series(1, 1000) AS g")
            let before = try #require(try backup(cluster, into: target)["id"] as? String)
            Thread.sleep(forTimeInterval: 2.1)
            let lsn = try cluster.psql("SELECT pg_current_wal_insert_lsn()")
            let time = try cluster.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
            Thread.sleep(forTimeInterval: 1.1)
            try cluster.psql("DROP TABLE precious")
            // The nightly backup, taken after the mistake (a new second, so a new ID).
            Thread.sleep(forTimeInterval: 1.1)
            let after = try #require(try backup(cluster, into: target)["id"] as? String)
            try #require(before != after)
            try waitUntilArchived(
                try cluster.psql("SELECT pg_walfile_name(pg_switch_wal())"), cluster: cluster,
                archive: archive)
            let restoreCommand = "cp \(archive)/%f %p"
            let refusedAt = scratch + "/data"
            func refused(_ arguments: [String], naming text: String) throws {
                let run = try Pgsnap.run(["restore", "--target", target, "--pgdata", refusedAt] + arguments)
                #expect(run.status == 64, "\(arguments): \(run.output)")
                expectOneLineMessage(run, naming: text)
                #expect(run.stderr.split(separator: "\n").count == 1, "\(run.output)")
                #expect(!FileTree.exists(refusedAt), "\(arguments) created the destination")
            }
            // The backup after the mistake, asked for by ID: refused, naming the one that fits.
            try refused([after, "--restore-command", restoreCommand, "--target-time", time], naming: before)
            try refused([after, "--restore-command", restoreCommand, "--target-lsn", lsn], naming: before)
            for bad in ["yesterday-ish", "now", "today", "2026-11-24 10:41:00", "24/11/2026 10:41+00"] {
                try refused(
                    ["latest", "--restore-command", restoreCommand, "--target-time", bad], naming: "--target-time")
            }
            for bad in ["cp \(archive)/%f", "cp \(archive)/x %p", "true"] {
                try refused(["latest", "--restore-command", bad], naming: "--restore-command")
            }

            let archived = Set(FileTree.children(archive))
            try withRestore(
                "latest", target: target, cluster: cluster,
                ["--restore-command", restoreCommand, "--target-time", time, "--target-action", "promote"]
            ) {
                restored, summary, run in
                #expect(summary["id"] as? String == before, "\(summary)")
                // One log line each for the choice and for archiving turned off.
                let logged = run.stderr.split(separator: "\n")
                #expect(
                    logged.filter { $0.contains("the newest complete backup that ended before") }.count == 1,
                    "\(run.stderr)")
                #expect(logged.filter { $0.contains("archive_mode = 'off'") }.count == 1, "\(run.stderr)")
                let choice = summary["base_backup_choice"] as? String ?? ""
                #expect(choice.contains(before) && choice.contains(after), "\(summary)")
                #expect(summary["archive_mode"] as? String == "off")
                expectSetting(restored.dataDirectory, "archive_mode", "off")
                // No -c archive_mode=off here: the restored configuration alone must keep it out.
                try start(restored)
                #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
                #expect(try restored.psql("SELECT count(*) FROM precious") == "1000", "\(restored.serverLog)")
                #expect(try restored.psql("SHOW archive_mode") == "off")
                try restored.psql("CREATE TABLE clone_only AS SELECT generate_series(1, 100) AS g")
                try restored.psql("SELECT pg_switch_wal()")
                try restored.psql("CHECKPOINT")
                #expect(try restored.psql("SELECT timeline_id FROM pg_control_checkpoint()") != "1")
                Thread.sleep(forTimeInterval: 2)
                let added = Set(FileTree.children(archive)).subtracting(archived)
                #expect(added.isEmpty, "the clone archived into the original's archive: \(added)")
            }
            try withRestore(
                "latest", target: target, cluster: cluster,
                [
                    "--restore-command", restoreCommand,
                    "--target-lsn", lsn,
                ]
            ) { _, summary in
                #expect(summary["id"] as? String == before, "\(summary)")
            }
            // A restore point cannot be placed: the latest is used, and the output says so.
            try withRestore(
                "latest", target: target, cluster: cluster,
                [
                    "--restore-command", restoreCommand,
                    "--target-name", "before_drop",
                ]
            ) { _, summary in
                #expect(summary["id"] as? String == after, "\(summary)")
                #expect((summary["base_backup_choice"] as? String ?? "").contains("must lie after"), "\(summary)")
            }
            // --archive-mode preserve: the original's archiving stays.
            try withRestore("latest", target: target, cluster: cluster, ["--archive-mode", "preserve"]) {
                restored, summary, run in
                #expect(summary["archive_mode"] as? String == "preserve")
                #expect(!run.stderr.contains("archive_mode"), "\(run.stderr)")
                #expect(!autoConf(restored.dataDirectory).contains("archive_mode = 'off'"))
                try start(restored)
                #expect(try restored.psql("SHOW archive_mode") == "on")
            }
        }
    }

    /// The promoted copy runs on timeline 2, as a standby does after a failover: its backup
    /// carries the timeline's history file (as pg_basebackup's does) and restores on its own.
    private func expectBackupAfterFailoverRestores(_ promoted: RestoredCluster, installation: PostgresInstallation)
        throws
    {
        let timeline = try promoted.psql("SELECT timeline_id FROM pg_control_checkpoint()")
        try promoted.psql("CHECKPOINT")
        let fixture = try TargetFixture()
        defer { withExtendedLifetime(fixture) {} }
        let (target, runDirectory) = (fixture.target, fixture.runDirectory)
        let run = try Pgsnap.run([
            "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory",
            runDirectory, "--checkpoint", "fast", "--conninfo",
            "host=\(promoted.socketDirectory) port=5432 user=postgres dbname=postgres",
        ])
        try #require(run.status == 0, "backup of the promoted copy: \(run.output)")
        let record = try run.json()
        #expect(String(describing: record["timeline"] ?? "") == timeline, "\(record)")
        #expect(timeline != "1", "the promoted copy should be on a new timeline")
        let id = try #require(record["id"] as? String)
        let listing = try Command.output("/bin/sh", ["-c", "zstd -dcq '\(target)/\(id)/pg_wal.tar.zst' | tar -tf -"])
        let history = String(repeating: "0", count: 8 - timeline.count) + timeline + ".history"
        #expect(listing.contains(history), "\(listing)")
        #expect(listing.contains("archive_status/\(history).done"), "\(listing)")
        // What restore reads to tell whether a timeline-1 backup lies on this timeline's history.
        let parsed = TimelineHistory.read(archive: "\(target)/\(id)/pg_wal.tar.zst", timeline: UInt32(timeline) ?? 0)
        #expect(parsed?.switchPoints[1] != nil, "\(String(describing: parsed))")
        let verify = try Pgsnap.run(["verify", id, "--target", target])
        #expect(verify.status == 0, "\(verify.output)")

        let root = try TemporaryDirectory.make(
            prefix: "pgsnap-pg\(installation.major)-restore-", owner: TestCluster.user)
        let again = try RestoredCluster(adopting: root, installation: installation)
        defer { again.destroy() }
        let restore = try Pgsnap.run(["restore", id, "--target", target, "--pgdata", again.dataDirectory])
        try #require(restore.status == 0, "\(restore.output)")
        #expect(FileTree.exists(again.dataDirectory + "/pg_wal/" + history))
        expectVerifyBackup(again.dataDirectory, installation)
        try start(again, settings: ["archive_mode=off"])
        #expect(try again.psql("SELECT count(*) FROM early") == "100")
        #expect(try again.psql("SELECT timeline_id FROM pg_control_checkpoint()") == timeline)
    }

    // MARK: - Helpers

    /// `pgsnap backup --snapshot none` of `cluster` into `target` (optionally while pgbench
    /// writes); returns the printed backup record.
    private func backup(_ cluster: TestCluster, into target: String, underLoad: Bool = false) throws -> [String: Any] {
        let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-target-run-")
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let backupDone = LockedFlag()
        let loadDone = DispatchSemaphore(value: 0)
        if underLoad {
            Thread {
                defer { loadDone.signal() }
                while !backupDone.value {
                    _ = Command.run(
                        cluster.installation.tool("pgbench"),
                        ["-t", "100", "-c", "2", "-n", "-h", cluster.socketDirectory, "-U", "postgres", "postgres"],
                        asUser: TestCluster.user)
                }
            }.start()
        }
        let run = try Pgsnap.run([
            "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory",
            runDirectory, "--conninfo", cluster.conninfo, "--checkpoint", "fast",
        ])
        backupDone.set()
        if underLoad { loadDone.wait() }
        try #require(run.status == 0, "pgsnap backup: \(run.output)")
        return try run.json()
    }

    /// Restores `id` into a fresh directory with `arguments`, hands the result to `body` and
    /// removes it afterwards.
    private func withRestore(
        _ id: String, target: String, cluster: TestCluster, _ arguments: [String],
        _ body: (RestoredCluster, [String: Any]) throws -> Void
    ) throws {
        try withRestore(id, target: target, cluster: cluster, arguments) { restored, summary, _ in
            try body(restored, summary)
        }
    }

    /// The same, also handing over the run (for what it logged).
    private func withRestore(
        _ id: String, target: String, cluster: TestCluster, _ arguments: [String],
        _ body: (RestoredCluster, [String: Any], Pgsnap.Run) throws -> Void
    ) throws {
        let root = try TemporaryDirectory.make(
            prefix: "pgsnap-pg\(cluster.installation.major)-restore-",
            owner: TestCluster.user)
        let restored = try RestoredCluster(adopting: root, installation: cluster.installation)
        defer { restored.destroy() }
        let run = try Pgsnap.run(
            ["restore", id, "--target", target, "--pgdata", restored.dataDirectory, "--json"]
                + arguments)
        try #require(run.status == 0, "pgsnap restore \(arguments): \(run.output)")
        try body(restored, try run.json(), run)
    }

    /// Starts the restored server, recording its log if it does not come up.
    private func start(_ restored: RestoredCluster, settings: [String] = []) throws {
        do {
            try restored.start(settings: settings)
        } catch {
            Issue.record("the restored server did not start: \(error)\n\(restored.serverLog)")
            throw error
        }
    }

    /// What `pgsnap restore` must leave for a startable, verifiable cluster.
    private func expectRestoredLayout(
        _ pgdata: String, major: Int, tablespaces: [String: String],
        walSegments: [String], signal: String?,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(FileTree.mode(pgdata) == 0o700, "pgdata mode", sourceLocation: sourceLocation)
        #expect(FileTree.owner(pgdata) == FileTree.postgresUID, "pgdata owner", sourceLocation: sourceLocation)
        for file in ["PG_VERSION", "backup_label", "global/pg_control", "backup_manifest"] {
            #expect(FileTree.exists(pgdata + "/" + file), "\(file) missing", sourceLocation: sourceLocation)
            #expect(
                FileTree.owner(pgdata + "/" + file) == FileTree.postgresUID, "\(file) owner",
                sourceLocation: sourceLocation)
        }
        for (oid, location) in tablespaces {
            #expect(
                FileTree.linkTarget(pgdata + "/pg_tblspc/" + oid) == location, "pg_tblspc/\(oid)",
                sourceLocation: sourceLocation)
            #expect(FileTree.isDirectory(location), "\(location)", sourceLocation: sourceLocation)
            #expect(
                FileTree.owner(location) == FileTree.postgresUID, "owner of \(location)", sourceLocation: sourceLocation
            )
            let versionDirectories = FileTree.children(location).filter { $0.hasPrefix("PG_\(major)_") }
            #expect(
                versionDirectories.count == 1, "\(location): \(FileTree.children(location))",
                sourceLocation: sourceLocation)
        }
        let map = (try? String(contentsOfFile: pgdata + "/tablespace_map", encoding: .utf8)) ?? ""
        #expect(
            Set(map.split(separator: "\n").map(String.init)) == Set(tablespaces.map { "\($0.key) \($0.value)" }),
            "tablespace_map: \(map)", sourceLocation: sourceLocation)
        #expect(!walSegments.isEmpty, sourceLocation: sourceLocation)
        for segment in walSegments {
            let size = FileTree.lstatus(pgdata + "/pg_wal/" + segment)?.st_size
            #expect(size == 16 << 20, "pg_wal/\(segment): \(String(describing: size))", sourceLocation: sourceLocation)
        }
        #expect(
            FileTree.exists(pgdata + "/recovery.signal") == (signal == "recovery.signal"),
            sourceLocation: sourceLocation)
        #expect(
            FileTree.exists(pgdata + "/standby.signal") == (signal == "standby.signal"), sourceLocation: sourceLocation)
    }

    /// `pg_verifybackup DIR` as postgres with the installation's own tool, using the manifest
    /// pgsnap left in DIR (as after `pg_basebackup -Fp`).
    private func expectVerifyBackup(
        _ pgdata: String, _ installation: PostgresInstallation,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let result = Command.run(installation.tool("pg_verifybackup"), [pgdata], asUser: TestCluster.user)
        #expect(result.status == 0, "pg_verifybackup: \(result.output)", sourceLocation: sourceLocation)
    }

    private func expectAmcheckClean(_ restored: RestoredCluster, major: Int) {
        let installation = restored.installation
        guard
            FileManager.default.fileExists(atPath: installation.binDirectory + "/../share/extension/amcheck.control")
                || FileManager.default.fileExists(atPath: "/usr/share/postgresql/\(major)/extension/amcheck.control")
        else { return }
        let amcheck = Command.run(
            installation.tool("pg_amcheck"),
            ["--install-missing", "-h", restored.socketDirectory, "-U", "postgres", "--all"],
            asUser: TestCluster.user)
        #expect(amcheck.status == 0, "pg_amcheck: \(amcheck.output)")
    }

    private func autoConf(_ pgdata: String) -> String {
        (try? String(contentsOfFile: pgdata + "/postgresql.auto.conf", encoding: .utf8)) ?? ""
    }

    /// postgresql.auto.conf has a line setting `name` whose value contains `value`.
    private func expectSetting(
        _ pgdata: String, _ name: String, _ value: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let settings = autoConf(pgdata)
        let lines = settings.split(separator: "\n").filter {
            $0.trimmingCharacters(in: .whitespaces).hasPrefix(name) && $0.contains(value)
        }
        #expect(
            !lines.isEmpty, "no \(name) = …\(value)… in postgresql.auto.conf:\n\(settings)",
            sourceLocation: sourceLocation)
    }

    /// Waits until the archiver has copied `segment` (pg_stat_archiver, and the file itself).
    private func waitUntilArchived(_ segment: String, cluster: TestCluster, archive: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let last = try cluster.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
            if last >= segment && FileTree.exists(archive + "/" + segment) { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("\(segment) was not archived: \(try cluster.psql("SELECT * FROM pg_stat_archiver"))")
        throw Command.Failure(command: "wait for archiving", status: 1, output: segment)
    }

    /// `sha256sum` of every file under `root`, sorted by path.
    private func checksums(_ root: String) -> [String] {
        let run = Command.run("/bin/sh", ["-c", "cd '\(root)' && find . -type f -exec sha256sum {} + | sort -k 2"])
        return run.output.split(separator: "\n").map(String.init)
    }

    /// A JSON number or string as text.
    private func text(_ value: Any?) -> String? {
        if let number = value as? Int { return String(number) }
        return value as? String
    }
}

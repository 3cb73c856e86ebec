import Foundation
import Testing

/// `pgsnap backup --snapshot none` end to end on real servers, restored with plain zstd and tar.
/// (With LVM snapshots the same checks run in the VM scenarios.)
@Suite("pgsnap backup without snapshots, restored with tar", .serialized, .integration)
struct BackupCommandTests {
    /// pgbench's invariant: every transaction adds the same delta to one account, teller,
    /// branch and history row, so the four sums agree in any consistent state.
    static let invariantSQL = """
        SELECT (SELECT sum(abalance) FROM pgbench_accounts) = (SELECT sum(bbalance) FROM pgbench_branches)
           AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT sum(tbalance) FROM pgbench_tellers)
           AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
        """

    @Test(arguments: PostgresInstallation.required)
    func backupUnderLoadRestoresToAConsistentCluster(major: Int) throws {
        try withCluster(major) { cluster in
            try cluster.createTablespace("fast")
            try cluster.initializePgbench(scale: 2, tablespace: "fast")
            try cluster.psql("CREATE UNLOGGED TABLE scratch AS SELECT generate_series(1, 1000) AS i")
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            // Writes during the whole backup: the restored cluster must still be consistent.
            // Short bounded pgbench runs, repeated until pgsnap has finished.
            let backupDone = LockedFlag()
            let loadDone = DispatchSemaphore(value: 0)
            let load = Thread {
                defer { loadDone.signal() }
                while !backupDone.value {
                    _ = Command.run(
                        cluster.installation.tool("pgbench"),
                        ["-t", "200", "-c", "2", "-n", "-h", cluster.socketDirectory, "-U", "postgres", "postgres"],
                        asUser: TestCluster.user)
                }
            }
            load.start()
            let run = try Pgsnap.run([
                "backup", "--json", "--snapshot", "none", "--target", target,
                "--run-directory", runDirectory, "--conninfo", cluster.conninfo,
                "--checkpoint", "fast", "--log-level", "info",
            ])
            backupDone.set()
            loadDone.wait()
            #expect(run.status == 0, "\(run.output)")
            // The log a 3 a.m. reader gets: one line per stage with its duration, in order,
            // then teardown; one line per archive with its bytes and rate.
            let stages = run.stderr.split(separator: "\n").compactMap { line -> String? in
                guard let match = line.firstMatch(of: /stage (\w+) done in \d+\.\d\d s$/) else { return nil }
                return String(match.1)
            }
            #expect(
                stages == [
                    "lock", "leftovers", "plan", "start", "snapshot", "stop", "mount", "stream", "wal", "manifest",
                    "commit", "retention", "teardown",
                ], "\(run.stderr)")
            let base = run.stderr.split(separator: "\n").first { $0.contains("archive base.tar.zst: ") }
            #expect(
                base?.contains(/: \d+ file\(s\), .+ read, .+ written \(.+x\), .+\/s over .+ s$/) == true,
                "\(run.stderr)")
            let record = try run.json()
            let id = try #require(record["id"] as? String)
            // Every log line from the ID's choice (the lock stage) on carries it after the pid.
            let logLines = run.stderr.split(separator: "\n").filter { $0.contains(/\ P\d+\ /) }
            let fromLock = logLines.drop { !$0.contains("stage lock done") }
            let tagged = try Regex(" P\\d+ \(id) +[A-Z]+: ")
            #expect(!fromLock.isEmpty && fromLock.allSatisfy { $0.contains(tagged) }, "\(run.stderr)")
            #expect(logLines.prefix { !$0.contains("stage lock done") }.allSatisfy { !$0.contains(tagged) })
            let backup = target + "/" + id
            try expectADryRunChangesNothing(cluster, fixture, history: id)
            #expect(record["status"] as? String == "complete")
            #expect(record["snapshot_mode"] as? String == "none")
            #expect((record["wal_segments"] as? [String])?.isEmpty == false)
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
            let files = try FileManager.default.contentsOfDirectory(atPath: backup).sorted()
            #expect(
                files
                    == ["\(oid).tar.zst", "backup.json", "backup_manifest", "base.tar.zst", "pg_wal.tar.zst"].sorted())
            for file in files {
                let attributes = try FileManager.default.attributesOfItem(atPath: backup + "/" + file)
                #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
            }
            #expect((try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int) == 0o700)
            #expect(!FileManager.default.fileExists(atPath: backup + ".partial"))
            // The server is out of backup mode and the slot is gone.
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgsnap%'") == "0")

            let restored = try RestoredCluster(backup: backup, installation: cluster.installation)
            defer { restored.destroy() }
            let verified = restored.verify(manifest: backup + "/backup_manifest")
            #expect(verified.status == 0, "pg_verifybackup: \(verified.output)")
            try restored.start()
            #expect(try restored.psql(Self.invariantSQL) == "t", "\(restored.serverLog)")
            #expect(try restored.psql("SELECT count(*) FROM pgbench_accounts") == "200000")
            #expect(try restored.psql("SELECT spcname FROM pg_tablespace WHERE oid = \(oid)") == "fast")
            // The unlogged table comes back empty (only its init fork was archived).
            #expect(try restored.psql("SELECT count(*) FROM scratch") == "0")
            if FileManager.default.fileExists(
                atPath: cluster.installation.binDirectory + "/../share/extension/amcheck.control")
                || FileManager.default.fileExists(atPath: "/usr/share/postgresql/\(major)/extension/amcheck.control")
            {
                let amcheck = Command.run(
                    cluster.installation.tool("pg_amcheck"),
                    ["--install-missing", "-h", restored.socketDirectory, "-U", "postgres", "--all"],
                    asUser: TestCluster.user)
                #expect(amcheck.status == 0, "pg_amcheck: \(amcheck.output)")
            }
        }
    }

    /// `backup --dry-run` after a backup: the plan (archives and where they are read from),
    /// the expected size from that backup, and nothing changed: the target's entries, no
    /// session in backup mode, no slot, no lock left.
    func expectADryRunChangesNothing(_ cluster: TestCluster, _ fixture: TargetFixture, history id: String) throws {
        let before = try fixture.names()
        let arguments = [
            "backup", "--dry-run", "--snapshot", "none", "--target", fixture.target, "--run-directory",
            fixture.runDirectory, "--conninfo", cluster.conninfo,
        ]
        let run = try Pgsnap.run(arguments + ["--json"])
        #expect(run.status == 0, "\(run.output)")
        let report = try run.json()
        #expect(report["dry_run"] as? Bool == true)
        let archives = (report["archives"] as? [[String: Any]])?.compactMap { $0["archive"] as? String } ?? []
        #expect(
            archives.first == "base.tar.zst" && archives.last == "pg_wal.tar.zst" && archives.count == 3, "\(report)")
        let expected = try #require(report["expected"] as? [String: Any], "\(report)")
        #expect(expected["backups"] as? [String] == [id])
        #expect((expected["bytes_read"] as? Int ?? 0) > 0)
        #expect(try fixture.names() == before, "a dry run wrote to the target")
        #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
        #expect(
            try cluster.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND application_name LIKE 'pgsnap%'"
            ) == "0")
        #expect(report["max_rate_bytes_per_second"] == nil, "\(report)")
        let text = try Pgsnap.run(arguments + ["--max-rate", "40M"])
        #expect(text.status == 0 && text.stdout.hasPrefix("dry run: nothing was changed"), "\(text.output)")
        #expect(text.stdout.contains("expected, from the last 1 backup(s)"), "\(text.stdout)")
        #expect(text.stdout.contains("at most 40.0 MiB/s all together (max_rate)"), "\(text.stdout)")
    }

    @Test func aSecondRunWhileOneHoldsTheLockExits7() throws {
        try withCluster(15) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            let descriptor = fixture.holdLock()
            defer { close(descriptor) }
            let run = try Pgsnap.run([
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", cluster.conninfo,
            ])
            #expect(run.status == 7, "\(run.output)")
            #expect(run.output.contains("another pgsnap run"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
        }
    }

    @Test func sigtermMidStreamTearsDownAndRecordsOnlyTheFailure() throws {
        try withBackupStreaming { cluster, process, target throws in
            kill(process.pid, SIGTERM)
            let (status, output) = process.wait()
            #expect(status == 8, "\(output)")
            #expect(output.contains("interrupted"))
            let failed = try FailedRun.onlyRecord(in: target)
            #expect(failed["exit_status"] as? Int == 8, "only a failed-run record is left: \(failed)")
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
            #expect(try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'") == "0")
        }
    }

    @Test func serverStoppedMidRunFailsCleanly() throws {
        try withBackupStreaming { cluster, process, target throws in
            try cluster.stop()
            let (status, output) = process.wait()
            #expect(status == 4, "\(output)")
            #expect(output.contains("ended the backup session"), "\(output)")
            // The server's own words are in the one line, not printed raw before it.
            #expect(output.contains("terminating connection due to administrator command"), "\(output)")
            #expect(output.split(separator: "\n").count == 1, "one line: \(output)")
            let failed = try FailedRun.onlyRecord(in: target)
            #expect(failed["exit_status"] as? Int == 4, "only a failed-run record is left: \(failed)")
            try cluster.start()
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
        }
    }

    @Test func aFullTargetFilesystemFailsCleanly() throws {
        try SmallFileSystem.withMounted(prefix: "pgsnap-target-img-") { mountPoint, _ in
            try withCluster(15) { cluster in
                // Random text compresses about 2:1, so ~40 MB of it cannot fit in 8 MB.
                try cluster.psql(
                    "CREATE TABLE noise AS SELECT g, md5(random()::text) || md5(random()::text) AS t FROM generate_series(1, 400000) g"
                )
                let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-target-run-")
                defer { try? FileManager.default.removeItem(atPath: runDirectory) }
                let run = try Pgsnap.run([
                    "backup", "--snapshot", "none", "--target", mountPoint, "--run-directory",
                    runDirectory, "--conninfo", cluster.conninfo, "--compress-level", "1",
                ])
                #expect(run.status == 6, "\(run.output)")
                #expect(run.output.contains("No space left on device"), "\(run.output)")
                // The archives are gone; only the small failed-run record remains.
                let failed = try FailedRun.onlyRecord(in: mountPoint)
                #expect((failed["error"] as? String)?.contains("No space left on device") == true, "\(failed)")
                #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
                #expect(
                    try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'") == "0")
            }
        }
    }

    /// A PostgreSQL 15 cluster with a few hundred MB, and a slow (level 19) backup of it that is
    /// already writing its archives when `body` runs.
    private func withBackupStreaming(_ body: (TestCluster, Pgsnap.Running, String) throws -> Void) throws {
        try withCluster(15) { cluster in
            try cluster.initializePgbench(scale: 15)
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            let process = try Pgsnap.start([
                "backup", "--snapshot", "none", "--target", target, "--run-directory",
                runDirectory, "--conninfo", cluster.conninfo, "--compress-level", "19",
            ])
            var streaming = false
            for _ in 0..<200 where !streaming {
                Thread.sleep(forTimeInterval: 0.05)
                streaming = ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).contains {
                    $0.hasSuffix(".partial")
                }
            }
            #expect(streaming, "the backup never started streaming")
            try body(cluster, process, target)
        }
    }
}

/// A flag one thread sets and another polls.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    var value: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }

    func set() {
        lock.lock()
        flag = true
        lock.unlock()
    }
}

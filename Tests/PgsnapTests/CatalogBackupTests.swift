import Catalog
import Configuration
import Foundation
import Testing

@testable import Backup
@testable import TargetLayout

/// The catalog with real `pgsnap backup --snapshot none` runs of a PostgreSQL 15 cluster:
/// list after backups, retention after a backup, and the record a failed run leaves.
@Suite("Catalog with real backups", .serialized, .integration)
struct CatalogBackupTests {
    @Test func listShowsBackupsAndRetentionAfterABackupKeepsTheNewest() throws {
        try withTarget { cluster, target, runDirectory in
            let first = try backup(cluster, target, runDirectory)
            let second = try backup(cluster, target, runDirectory)
            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            #expect(list.status == 0, "\(list.output)")
            let rows = try #require(try list.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == [second, first])
            #expect(rows.allSatisfy { $0["status"] as? String == "complete" && $0["restorable"] as? Bool == true })
            #expect(rows.allSatisfy { ($0["postgresql_version"] as? String)?.hasPrefix("15") == true })
            #expect(rows.allSatisfy { ($0["wal_start"] as? String)?.count == 24 })

            let third = try backup(cluster, target, runDirectory, extra: ["--keep-last", "1", "--log-level", "info"])
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [third, "pgsnap.target"])
            let info = try Pgsnap.run(["info", "latest", "--json", "--target", target])
            #expect(try info.json()["id"] as? String == third)
        }
    }

    @Test func aFailedBackupLeavesOnlyItsRecordUntilANewerCompleteOne() throws {
        try withTarget { cluster, target, runDirectory in
            let emptyArchive = try TemporaryDirectory.make(prefix: "pgsnap-empty-wal-")
            defer { try? FileManager.default.removeItem(atPath: emptyArchive) }
            let failing = try Pgsnap.run([
                "backup", "--snapshot", "none", "--target", target, "--run-directory",
                runDirectory, "--conninfo", cluster.conninfo, "--wal-archive", emptyArchive,
                "--label", "needs the archive",
            ])
            #expect(failing.status == 4, "\(failing.output)")
            let record = try FailedRun.onlyRecord(in: target)
            let failedID = try #require(record["id"] as? String)
            #expect(record["exit_status"] as? Int == 4)
            #expect(record["label"] as? String == "needs the archive")
            #expect((record["error"] as? String)?.contains("WAL segment") == true, "\(record)")
            #expect(
                (record["error"] as? String).map { failing.output.contains($0) } == true,
                "the record holds the message pgsnap printed")
            #expect(
                record["pgsnap_version"] is String && record["start_time"] is String && record["stop_time"] is String)
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")

            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            let rows = try #require(try list.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["status"] as? String } == ["failed"])
            #expect(rows.first?["restorable"] as? Bool == false)
            // No newer complete backup yet: the failure stays.
            let early = try Pgsnap.run([
                "prune", "--keep-last", "1", "--json", "--target", target, "--run-directory",
                runDirectory,
            ])
            #expect((try early.json()["removed"] as? [Any])?.isEmpty == true)

            let good = try backup(cluster, target, runDirectory)
            let prune = try Pgsnap.run([
                "prune", "--keep-last", "1", "--json", "--target", target, "--run-directory",
                runDirectory,
            ])
            #expect(prune.status == 0, "\(prune.output)")
            #expect(try prune.json()["removed"] as? [[String: String]] == [["id": failedID, "status": "failed"]])
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [good, "pgsnap.target"])
        }
    }

    // MARK: - One cluster per target (docs/target.md)

    @Test func aSecondClusterIsRefusedWithExit6AndTheFirstClustersBackupsStay() throws {
        try withTarget { cluster, target, runDirectory in
            let first = try backup(cluster, target, runDirectory)
            let owner = try cluster.psql("SELECT system_identifier FROM pg_control_system()")
            let bindingPath = target + "/pgsnap.target"
            let binding = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: bindingPath))) as? [String: Any])
            #expect(binding["system_identifier"] as? String == owner)
            #expect(binding["bound_at"] is String && binding["pgsnap_version"] is String)
            var info = stat()
            #expect(stat(bindingPath, &info) == 0 && info.st_mode & 0o777 == 0o600 && info.st_uid == 0)

            try withCluster(15) { other in
                let intruder = try other.psql("SELECT system_identifier FROM pg_control_system()")
                #expect(intruder != owner)
                // The owner's run in progress (on this host, so the marker alone would not
                // protect it): a refused run must not touch it before it is refused.
                let live = try Leftovers.createPartial(
                    in: target, id: BackupID.make(at: Date().addingTimeInterval(-60)))
                let before = try FileManager.default.contentsOfDirectory(atPath: target).sorted()
                Thread.sleep(forTimeInterval: 1.05)
                let refused = try Pgsnap.run([
                    "backup", "--snapshot", "none", "--target", target, "--run-directory",
                    runDirectory, "--conninfo", other.conninfo, "--keep-last", "1",
                ])
                #expect(refused.status == 6, "\(refused.output)")
                #expect(
                    refused.output.contains(
                        "holds the backups of cluster \(owner), not of this server's cluster \(intruder)"),
                    "\(refused.output)")
                #expect(refused.output.contains("use another target"), "\(refused.output)")
                #expect(refused.output.split(separator: "\n").count == 1, "one line: \(refused.output)")
                #expect(
                    try FileManager.default.contentsOfDirectory(atPath: target).sorted() == before,
                    "nothing written, nothing pruned (keep_last = 1), the owner's .partial left alone")
                try FileManager.default.removeItem(atPath: live)
                #expect(
                    try other.psql("SELECT count(*) FROM pg_replication_slots") == "0", "PostgreSQL was not touched")

                let check = try Pgsnap.run([
                    "check", "--json", "--snapshot", "none", "--target", target, "--run-directory",
                    runDirectory, "--conninfo", other.conninfo,
                ])
                #expect(check.status == 6, "\(check.output)")
                let problems = try #require(try check.json()["problems"] as? [[String: Any]])
                #expect(problems.map { $0["code"] as? String } == ["target_other_cluster"], "\(problems)")
            }

            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            let object = try list.json()
            #expect(object["system_identifier"] as? String == owner)
            #expect(object["bound"] as? Bool == true)
            let rows = try #require(object["backups"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == [first])
            #expect(rows.map { $0["system_identifier"] as? String } == [owner])
            let text = try Pgsnap.run(["list", "--target", target, "--run-directory", runDirectory])
            #expect(text.stdout.hasPrefix("cluster \(owner) (target bound since "), "\(text.stdout)")
        }
    }

    /// A failover keeps the system identifier: the promoted cluster, on timeline 2, is the same
    /// cluster, and its backups go into the same target.
    @Test func aBackupOnANewTimelineOfTheSameClusterIsAccepted() throws {
        try withTarget { cluster, target, runDirectory in
            let first = try backup(cluster, target, runDirectory)
            try cluster.stop()
            try Command.output("/usr/bin/touch", [cluster.dataDirectory + "/standby.signal"], asUser: TestCluster.user)
            try cluster.start()
            try Command.output(
                cluster.installation.tool("pg_ctl"), ["-D", cluster.dataDirectory, "-w", "promote"],
                asUser: TestCluster.user)
            #expect(try cluster.psql("SELECT pg_is_in_recovery()") == "f")
            let second = try backup(cluster, target, runDirectory, extra: ["--keep-last", "1"])
            let info = try Pgsnap.run(["info", second, "--json", "--target", target])
            #expect(try info.json()["timeline"] as? Int == 2, "\(info.output)")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [second, "pgsnap.target"],
                "retention counted the timeline-2 backup as the cluster's own and removed \(first)")
        }
    }

    /// No binding file yet (a target written before bindings existed): the existing backups
    /// decide, so another cluster is still refused, and the owner's next backup binds the target.
    @Test func anUnboundTargetWithBackupsIsBoundToTheirCluster() throws {
        try withTarget { cluster, target, runDirectory in
            let first = try backup(cluster, target, runDirectory)
            #expect(unlink(target + "/pgsnap.target") == 0)
            try withCluster(15) { other in
                let refused = try Pgsnap.run([
                    "backup", "--snapshot", "none", "--target", target, "--run-directory",
                    runDirectory, "--conninfo", other.conninfo,
                ])
                #expect(refused.status == 6, "\(refused.output)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: target) == [first])
            let second = try backup(cluster, target, runDirectory)
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: target).sorted() == [
                    first, second, "pgsnap.target",
                ])
        }
    }

    // MARK: - Every committed backup is whole

    /// A real external action: a `pre-backup` hook leaves a process behind that deletes
    /// base.tar.zst from `<id>.partial` as soon as it appears, while the run writes it.
    @Test func anArchiveRemovedDuringTheRunFailsItAndNothingIsListedComplete() throws {
        try withTarget { cluster, target, runDirectory in
            try cluster.initializePgbench(scale: 2)
            let hooks = try HookDirectoryFixture.make(events: [])
            let out = try TemporaryDirectory.make(prefix: "pgsnap-hook-out-")
            defer {
                try? FileManager.default.removeItem(atPath: hooks)
                try? FileManager.default.removeItem(atPath: out)
            }
            try HookDirectoryFixture.write(
                "pre-backup",
                """
                #!/bin/sh
                setsid sh -c 'for i in $(seq 1 6000); do
                    for f in "$PGSNAP_TARGET"/*.partial/base.tar.zst; do
                        if [ -e "$f" ]; then rm -f "$f"; echo "$f" > "\(out)/deleted"; exit 0; fi
                    done
                    sleep 0.005
                done' </dev/null >/dev/null 2>&1 &
                exit 0
                """, in: hooks)
            let run = try Pgsnap.run([
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", cluster.conninfo, "--hook-directory", hooks,
            ])
            #expect(FileManager.default.fileExists(atPath: out + "/deleted"), "the hook's process deleted the archive")
            #expect(run.status == 6, "\(run.output)")
            #expect(run.output.contains("base.tar.zst was removed during the run"), "\(run.output)")
            let record = try FailedRun.onlyRecord(in: target)
            #expect((record["error"] as? String)?.contains("base.tar.zst was removed during the run") == true)
            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            let rows = try #require(try list.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["status"] as? String } == ["failed"])
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
        }
    }

    /// `<id>.failed` appearing after the ID was chosen (here made by the `pre-backup` hook, as
    /// another host sharing the target could): the failed run's record goes under the next
    /// free ID and leaves that directory exactly as it was — even empty, which rename(2) replaces.
    @Test func aFailedRunNeverOverwritesAnotherFailedRecord() throws {
        try withTarget { cluster, target, runDirectory in
            let hooks = try HookDirectoryFixture.make(events: [])
            let emptyArchive = try TemporaryDirectory.make(prefix: "pgsnap-empty-wal-")
            defer {
                try? FileManager.default.removeItem(atPath: hooks)
                try? FileManager.default.removeItem(atPath: emptyArchive)
            }
            try HookDirectoryFixture.write(
                "pre-backup",
                """
                #!/bin/sh
                mkdir "$PGSNAP_TARGET/$PGSNAP_BACKUP_ID.failed"
                """, in: hooks)
            let run = try Pgsnap.run([
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", cluster.conninfo, "--hook-directory", hooks,
                "--wal-archive", emptyArchive,
            ])
            #expect(run.status == 4, "\(run.output)")
            let failed = try FileManager.default.contentsOfDirectory(atPath: target).filter { $0.hasSuffix(".failed") }
                .sorted()
            #expect(failed.count == 2, "\(failed)")
            guard failed.count == 2 else { return }
            let runID = String(failed[0].dropLast(".failed".count))
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: target + "/" + failed[0]).isEmpty,
                "the other directory is untouched")
            let record = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: target + "/" + failed[1] + "/backup.json")))
                    as? [String: Any])
            #expect(record["id"] as? String == runID, "the record keeps the run's own ID")
            #expect(record["status"] as? String == "failed")
        }
    }

    /// Two runs whose clock says the same second (a cron job started twice, a quick manual
    /// run after the nightly): the second gets the next second's ID, before PostgreSQL is
    /// touched, and both complete. A failed run's record never lands on another's name.
    @Test func twoBackupsInTheSameSecondBothCompleteWithDistinctIDs() throws {
        try withTarget { cluster, target, runDirectory in
            let second = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            var settings = Settings()
            settings.conninfo = cluster.conninfo
            settings.target = target
            settings.snapshot = .none
            settings.runDirectory = runDirectory
            var environment = BackupEnvironment.live()
            environment.clock = { second.addingTimeInterval(0.4) }
            func run(_ settings: Settings) throws -> BackupRecord {
                try BackupRun(settings: settings, environment: environment, pgsnapVersion: "test", log: { _ in }).run()
            }
            let first = try run(settings)
            let again = try run(settings)
            #expect(first.id == BackupID.make(at: second))
            #expect(again.id == BackupID.make(at: second.addingTimeInterval(1)))
            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            let rows = try #require(try list.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["id"] as? String } == [again.id, first.id])
            #expect(rows.allSatisfy { $0["status"] as? String == "complete" })

            // A record someone else left under the next free ID stays as it is.
            let taken = target + "/" + BackupID.make(at: second.addingTimeInterval(2)) + ".failed"
            try FileManager.default.createDirectory(atPath: taken, withIntermediateDirectories: false)
            try Data("{\"id\": \"theirs\"}".utf8).write(to: URL(fileURLWithPath: taken + "/backup.json"))
            let emptyArchive = try TemporaryDirectory.make(prefix: "pgsnap-empty-wal-")
            defer { try? FileManager.default.removeItem(atPath: emptyArchive) }
            var failing = settings
            failing.walArchive = emptyArchive
            #expect(throws: BackupError.self) { try run(failing) }
            #expect(try String(contentsOfFile: taken + "/backup.json", encoding: .utf8) == "{\"id\": \"theirs\"}")
            let failedID = BackupID.make(at: second.addingTimeInterval(3))
            let record = try String(contentsOfFile: target + "/" + failedID + ".failed/backup.json", encoding: .utf8)
            #expect(record.contains("\"id\" : \"\(failedID)\""), "\(record)")
        }
    }

    /// One `pgsnap backup --snapshot none`; returns its ID. IDs have one-second resolution, so
    /// it first waits for the next second.
    private func backup(_ cluster: TestCluster, _ target: String, _ runDirectory: String, extra: [String] = [])
        throws -> String
    {
        Thread.sleep(forTimeInterval: 1.05)
        let run = try Pgsnap.run(
            [
                "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory",
                runDirectory, "--conninfo", cluster.conninfo,
            ] + extra)
        #expect(run.status == 0, "\(run.output)")
        return try #require(try run.json()["id"] as? String)
    }

    private func withTarget(_ body: (TestCluster, String, String) throws -> Void) throws {
        try withCluster(15) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            try body(cluster, target, runDirectory)
        }
    }
}

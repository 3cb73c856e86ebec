import Foundation
import Testing

/// The catalog with real `pgsnap backup --snapshot none` runs of a PostgreSQL 15 cluster:
/// list after backups, retention after a backup, and the record a failed run leaves.
@Suite("Catalog with real backups", .serialized)
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
            #expect(try FileManager.default.contentsOfDirectory(atPath: target) == [third])
            let info = try Pgsnap.run(["info", "latest", "--json", "--target", target])
            #expect(try info.json()["id"] as? String == third)
        }
    }

    @Test func aFailedBackupLeavesOnlyItsRecordUntilANewerCompleteOne() throws {
        try withTarget { cluster, target, runDirectory in
            let emptyArchive = try TemporaryDirectory.make(prefix: "pgsnap-empty-wal-")
            defer { try? FileManager.default.removeItem(atPath: emptyArchive) }
            let failing = try Pgsnap.run(["backup", "--snapshot", "none", "--target", target, "--run-directory",
                                          runDirectory, "--conninfo", cluster.conninfo, "--wal-archive", emptyArchive,
                                          "--label", "needs the archive"])
            #expect(failing.status == 4, "\(failing.output)")
            let record = try FailedRun.onlyRecord(in: target)
            let failedID = try #require(record["id"] as? String)
            #expect(record["exit_status"] as? Int == 4)
            #expect(record["label"] as? String == "needs the archive")
            #expect((record["error"] as? String)?.contains("WAL segment") == true, "\(record)")
            #expect((record["error"] as? String).map { failing.output.contains($0) } == true,
                    "the record holds the message pgsnap printed")
            #expect(record["pgsnap_version"] is String && record["start_time"] is String && record["stop_time"] is String)
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")

            let list = try Pgsnap.run(["list", "--json", "--target", target, "--run-directory", runDirectory])
            let rows = try #require(try list.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["status"] as? String } == ["failed"])
            #expect(rows.first?["restorable"] as? Bool == false)
            // No newer complete backup yet: the failure stays.
            let early = try Pgsnap.run(["prune", "--keep-last", "1", "--json", "--target", target, "--run-directory",
                                        runDirectory])
            #expect((try early.json()["removed"] as? [Any])?.isEmpty == true)

            let good = try backup(cluster, target, runDirectory)
            let prune = try Pgsnap.run(["prune", "--keep-last", "1", "--json", "--target", target, "--run-directory",
                                        runDirectory])
            #expect(prune.status == 0, "\(prune.output)")
            #expect(try prune.json()["removed"] as? [[String: String]] == [["id": failedID, "status": "failed"]])
            #expect(try FileManager.default.contentsOfDirectory(atPath: target) == [good])
        }
    }

    /// One `pgsnap backup --snapshot none`; returns its ID. IDs have one-second resolution, so
    /// it first waits for the next second.
    private func backup(_ cluster: TestCluster, _ target: String, _ runDirectory: String, extra: [String] = [])
        throws -> String
    {
        Thread.sleep(forTimeInterval: 1.05)
        let run = try Pgsnap.run(["backup", "--json", "--snapshot", "none", "--target", target, "--run-directory",
                                  runDirectory, "--conninfo", cluster.conninfo] + extra)
        #expect(run.status == 0, "\(run.output)")
        return try #require(try run.json()["id"] as? String)
    }

    private func withTarget(_ body: (TestCluster, String, String) throws -> Void) throws {
        try withCluster(15) { cluster in
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-target-run-")
            defer {
                try? FileManager.default.removeItem(atPath: target)
                try? FileManager.default.removeItem(atPath: runDirectory)
            }
            try body(cluster, target, runDirectory)
        }
    }
}

import Foundation
import PostgresFormat
import Testing

/// `pgsnap prune` on a target with a real WAL archive (issue 11, item 3): `--dry-run` lists
/// exactly the archived WAL before the oldest kept backup's start segment, the real run removes
/// exactly that, and the oldest kept backup still restores and replays the archive to its end.
@Suite("WAL archive retention on real servers", .serialized, .integration)
struct WALRetentionCommandTests {
    @Test(arguments: PostgresInstallation.required)
    func pruneExpiresExactlyTheWALBeforeTheOldestKeptBackup(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.initializePgbench(scale: 1)
            var ids: [String] = []
            for _ in 0..<3 {
                try WALArchiveCommandTests.load(cluster, rounds: 2)
                ids.append(try WALArchiveRestoreTests.backup(cluster, fixture))
                Thread.sleep(forTimeInterval: 1.1)
            }
            // Two calls: in one, the switch would come before the commit (one implicit transaction).
            try cluster.psql("CREATE TABLE at_the_end AS SELECT generate_series(1, 7) AS g")
            try cluster.psql("SELECT pg_switch_wal()")
            try fixture.waitUntilArchived(cluster)
            let record = try JSONSerialization.jsonObject(
                with: try Data(contentsOf: URL(fileURLWithPath: fixture.target + "/" + ids[1] + "/backup.json")))
            let start = try #require(((record as? [String: Any])?["wal_segments"] as? [String])?.first)
            let before = try fixture.archivedNames()
            let expected = before.filter { name in
                guard let parsed = WALArchiveName(name), let segment = parsed.segmentName else { return false }
                return segment.dropFirst(8) < start.dropFirst(8)
            }
            #expect(expected.count >= 2, "the first backup's WAL: \(expected)")

            let dry = try Pgsnap.run(["prune", "--config", fixture.config, "--keep-last", "2", "--dry-run", "--json"])
            #expect(dry.status == 0, "\(dry.output)")
            let planned = try #require(try dry.json()["wal_removed"] as? [String])
            #expect(Set(planned.map { String(($0 as NSString).lastPathComponent.dropLast(4)) }) == Set(expected))
            #expect(try fixture.archivedNames() == before, "--dry-run removed nothing")

            let run = try Pgsnap.run(["prune", "--config", fixture.config, "--keep-last", "2"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stdout.contains("expired") && run.stdout.contains(ids[0]), "\(run.stdout)")
            let after = try fixture.archivedNames()
            #expect(Set(after) == Set(before).subtracting(expected), "\(Set(before).subtracting(after))")

            let root = try TemporaryDirectory.make(prefix: "pgsnap-pg\(major)-walretention-", owner: TestCluster.user)
            let restored = try RestoredCluster(adopting: root, installation: cluster.installation)
            defer { restored.destroy() }
            let restore = try Pgsnap.run([
                "restore", ids[1], "--config", fixture.config, "--pgdata", restored.dataDirectory,
            ])
            try #require(restore.status == 0, "\(restore.output)")
            try restored.start()
            #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
            #expect(try restored.psql("SELECT count(*) FROM at_the_end") == "7", "\(restored.serverLog)")
        }
    }
}

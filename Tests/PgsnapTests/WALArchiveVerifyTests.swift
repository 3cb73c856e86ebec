import Foundation
import PostgresFormat
import Testing

/// `pgsnap verify --wal` (issue 11, item 4) on an archive a real server filled: whole, it
/// verifies; a removed, a truncated and a flipped segment are each named, exit 9.
@Suite("verify --wal on real servers", .serialized, .integration)
struct WALArchiveVerifyTests {
    @Test(arguments: PostgresInstallation.required)
    func namesARemovedATruncatedAndAFlippedSegment(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.initializePgbench(scale: 1)
            let id = try WALArchiveRestoreTests.backup(cluster, fixture)
            try WALArchiveCommandTests.load(cluster, rounds: 5)
            try fixture.waitUntilArchived(cluster)
            let whole = try Pgsnap.run(["verify", "--wal", "--config", fixture.config, "--json"])
            #expect(whole.status == 0, "\(whole.output)")
            let report = try #require(try whole.json()["wal"] as? [String: Any])
            #expect(report["ok"] as? Bool == true && (report["problems"] as? [Any])?.isEmpty == true, "\(report)")

            let record = try JSONSerialization.jsonObject(
                with: try Data(contentsOf: URL(fileURLWithPath: fixture.target + "/" + id + "/backup.json")))
            let start = try #require(((record as? [String: Any])?["wal_segments"] as? [String])?.first)
            #expect(report["from"] as? String == start, "\(report)")
            let after = try fixture.archivedNames().filter { WALFileName.isSegmentName($0) && $0 > start }
            try #require(after.count >= 4, "\(after)")
            let (removed, truncated, flipped) = (after[0], after[1], after[2])
            func stored(_ name: String) -> String {
                fixture.archive + "/" + String(name.prefix(16)) + "/" + name + ".zst"
            }
            try FileManager.default.removeItem(atPath: stored(removed))
            let truncatedData = try #require(FileManager.default.contents(atPath: stored(truncated)))
            try truncatedData.prefix(truncatedData.count / 2).write(to: URL(fileURLWithPath: stored(truncated)))
            var flippedData = try #require(FileManager.default.contents(atPath: stored(flipped)))
            flippedData[flippedData.count / 2] ^= 0x01
            try flippedData.write(to: URL(fileURLWithPath: stored(flipped)))

            let damaged = try Pgsnap.run(["verify", "--wal", "--config", fixture.config])
            #expect(damaged.status == 9, "\(damaged.output)")
            for (kind, name) in [("wal_missing", removed), ("wal_invalid", truncated), ("wal_invalid", flipped)] {
                #expect(
                    damaged.stdout.split(separator: "\n").contains { $0.contains(kind) && $0.contains(name) },
                    "\(kind) \(name) not named: \(damaged.stdout)")
            }
            #expect(damaged.output.contains("pgsnap: the WAL archive is damaged"), "\(damaged.output)")
        }
    }
}

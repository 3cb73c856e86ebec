import Foundation
import PostgresFormat
import Testing

/// archive-push takes the other `.ready` WAL files along on `archive_push_workers` threads,
/// at most 8 per worker, so that the server's later calls find them archived (issue 11, item 1).
@Suite("WAL archive-push ahead of the server", .serialized, .integration)
struct WALArchivePushAheadTests {
    /// The server cannot archive (archive_command fails), so `.ready` files pile up; one
    /// archive-push by hand stores its own file and the next 16 (2 workers × 8), no more; the
    /// next call skips what is archived and takes the rest. Every file verifies, none is stray.
    @Test(arguments: PostgresInstallation.required)
    func onePushStoresTheOtherReadyFilesBounded(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try "target = \(fixture.target)\narchive_push_workers = 2\n".write(
            toFile: fixture.config, atomically: false, encoding: .utf8)
        try withCluster(major, settings: ["archive_mode = on", "archive_command = '/bin/false'"]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("create table t (x int)")
            for round in 0..<20 { try cluster.psql("insert into t values (\(round)); select pg_switch_wal()") }
            let ready = try Self.readySegments(cluster)
            try #require(ready.count >= 20, "\(ready)")
            let walDirectory = cluster.dataDirectory + "/pg_wal/"

            let first = fixture.pgsnap(["archive-push", walDirectory + ready[0]])
            #expect(first.status == 0 && first.output.isEmpty, "\(first.status) \(first.output)")
            #expect(try fixture.archivedNames() == Array(ready[0...16]), "own file and the next 16 only")

            let second = fixture.pgsnap(["archive-push", walDirectory + ready[1]])
            #expect(second.status == 0 && second.output.isEmpty, "\(second.status) \(second.output)")
            #expect(try fixture.archivedNames() == ready, "the rest, past the already archived ones")
            let compared = try fixture.verify(against: cluster)
            #expect(compared == ready.count, "compared \(compared) of \(ready.count)")
            let stray = try fixture.strayFiles()
            #expect(stray.isEmpty, "\(stray)")
        }
    }

    private static func readySegments(_ cluster: TestCluster) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: cluster.dataDirectory + "/pg_wal/archive_status")
            .filter { $0.hasSuffix(".ready") }.map { String($0.dropLast(6)) }.filter(WALFileName.isSegmentName)
            .sorted()
    }
}

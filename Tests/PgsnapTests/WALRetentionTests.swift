import Foundation
import TargetLayout
import Testing

@testable import Catalog

/// Retention of the WAL archive (issue 11, item 3) on a synthetic archive with two timelines:
/// exactly the files before the oldest kept backup's start segment go, history files stay,
/// and nothing goes when a kept backup's start is unknown.
@Suite("WAL archive retention", .unit)
struct WALRetentionTests {
    static let files = [
        "00000001.history.zst",  // never a real file on timeline 1, but must stay whatever it is
        "00000002.history.zst",
        "0000000100000000/000000010000000000000003.zst",
        "0000000100000000/000000010000000000000004.zst",
        "0000000100000000/000000010000000000000004.00000028.backup.zst",
        "0000000100000000/000000010000000000000005.zst",
        "0000000100000000/000000010000000000000006.partial.zst",
        "0000000200000000/000000020000000000000006.zst",
        "0000000200000000/000000020000000000000007.zst",
        "0000000200000000/000000020000000000000007.00000100.backup.zst",
        "0000000200000001/000000020000000100000000.zst",
    ]

    static func entry(_ id: String, status: CatalogEntry.Status = .complete, start: String?) throws -> CatalogEntry {
        let segments = start.map { #","wal_segments":["\#($0)"]"# } ?? ""
        let record = try CatalogRecord.decode(Data(#"{"id":"\#(id)","status":"complete"\#(segments)}"#.utf8))
        return CatalogEntry(id: id, name: id, path: "/nonexistent/" + id, status: status, record: record)
    }

    static func withArchive(_ body: (String) throws -> Void) throws {
        let target = try TemporaryDirectory.make(prefix: "pgsnap-walretention-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        for file in files {
            let path = target + "/wal/" + file
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data([1]).write(to: URL(fileURLWithPath: path))
        }
        try body(target)
    }

    @Test func theWALBeforeTheOldestKeptStartGoesOnEveryTimeline() throws {
        try Self.withArchive { target in
            let kept = [
                try Self.entry("20261202T020000Z", start: "000000020000000000000007"),
                try Self.entry("20261202T010000Z", start: "000000010000000000000005"),
                try Self.entry("20261202T000000Z", status: .failed, start: "000000010000000000000003"),
            ]
            let plan = try #require(try WALRetention.plan(target: target, kept: kept))
            #expect(
                plan == [
                    "0000000100000000/000000010000000000000003.zst",
                    "0000000100000000/000000010000000000000004.00000028.backup.zst",
                    "0000000100000000/000000010000000000000004.zst",
                ])
            var logged: [String] = []
            WALRetention.apply(plan, target: target) { logged.append($0) }
            let left = try FileManager.default.subpathsOfDirectory(atPath: target + "/wal").filter {
                $0.hasSuffix(".zst")
            }
            #expect(Set(left) == Set(Self.files).subtracting(plan), "\(left)")
            #expect(logged.count == 1, "\(logged)")
            // The newer backup alone kept: timeline 1's 5 and the .partial of 6 go as well.
            let later = try #require(try WALRetention.plan(target: target, kept: [kept[0]]))
            #expect(
                later == [
                    "0000000100000000/000000010000000000000005.zst",
                    "0000000100000000/000000010000000000000006.partial.zst",
                    "0000000200000000/000000020000000000000006.zst",
                ])
        }
    }

    @Test func nothingGoesOnAGuess() throws {
        try Self.withArchive { target in
            let unknown = [
                try Self.entry("20261202T020000Z", start: "000000020000000000000007"),
                try Self.entry("20261202T010000Z", start: nil),
            ]
            #expect(try WALRetention.plan(target: target, kept: unknown) == [])
            #expect(try WALRetention.plan(target: target, kept: []) == [])
            let failedOnly = [try Self.entry("20261202T020000Z", status: .failed, start: "000000020000000000000007")]
            #expect(try WALRetention.plan(target: target, kept: failedOnly) == [])
        }
        let bare = try TemporaryDirectory.make(prefix: "pgsnap-walretention-")
        defer { try? FileManager.default.removeItem(atPath: bare) }
        #expect(try WALRetention.plan(target: bare, kept: []) == nil, "no archive, no plan")
    }
}

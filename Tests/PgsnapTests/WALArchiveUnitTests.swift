import Catalog
import Foundation
import PostgresFormat
import TargetLayout
import Testing

@testable import WALArchive

/// The WAL archive's own code on synthetic segments in a scratch target owned by the user
/// running the tests: names, the stored header, push and get, no root and no server needed.
@Suite("WAL archive: names, stored files, push and get", .unit)
struct WALArchiveUnitTests {
    static let segmentSize = 1 << 20
    static let system: UInt64 = 7_300_000_000_000_000_001

    /// A 1 MiB segment of `system` whose long page header matches `name`, filled with `fill`.
    static func segment(_ name: String, system: UInt64 = Self.system, fill: UInt8 = 7) -> [UInt8] {
        let parsed = WALFileName(parsing: name, segmentSize: UInt64(segmentSize))!
        var bytes = [UInt8](repeating: fill, count: segmentSize)
        func put(_ value: UInt64, at offset: Int, width: Int) {
            for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        put(0xD110, at: 0, width: 2)
        put(0x0002, at: 2, width: 2)
        put(UInt64(parsed.timeline), at: 4, width: 4)
        put(parsed.segment * UInt64(segmentSize), at: 8, width: 8)
        put(system, at: 24, width: 8)
        put(UInt64(segmentSize), at: 32, width: 4)
        return bytes
    }

    /// A bound target with a private `wal/`, and a scratch directory for the files pushed.
    static func withArchive(_ body: (WALArchive, String) throws -> Void) throws {
        let target = try TemporaryDirectory.make(prefix: "pgsnap-walunit-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        _ = try TargetBinding(systemIdentifier: "\(system)", boundAt: Date(), pgsnapVersion: "test").write(
            target: target)
        try FileManager.default.createDirectory(atPath: target + "/scratch", withIntermediateDirectories: false)
        #expect(throws: WALArchiveError.self) { try WALArchive.forPush(target: target, compressionLevel: 1) }
        try FileManager.default.createDirectory(
            atPath: target + "/wal", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try body(try WALArchive.forPush(target: target, compressionLevel: 1), target + "/scratch")
    }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func namesAreOnlyThoseItArchives() {
        #expect(WALArchiveName("000000010000000000000003") == .segment("000000010000000000000003"))
        #expect(WALArchiveName("000000010000000000000003.partial") == .partial("000000010000000000000003"))
        #expect(WALArchiveName("00000002.history") == .history(timeline: 2))
        #expect(
            WALArchiveName("000000010000000000000003.00000028.backup")
                == .backupHistory(segment: "000000010000000000000003"))
        for bad in [
            "../etc/passwd", "", "00000001000000000000000g", "000000010000000000000003.00000028.backupx",
            "000000010000000000000003/00000028.backup", "0000000a0000000000000003", "RECOVERYXLOG",
        ] {
            #expect(WALArchiveName(bad) == nil, "\(bad)")
        }
        #expect(
            WALArchiveLayout.storedPath(.history(timeline: 2), fileName: "00000002.history") == "00000002.history.zst")
        #expect(
            WALArchiveLayout.storedPath(.partial("000000020000000300000004"), fileName: "x")
                == "0000000200000003/x.zst")
    }

    @Test func theStoredHeaderRoundTripsAndRejectsOtherBytes() {
        let header = StoredWALHeader(originalLength: 16 << 20, sha256: Array(1...32))
        #expect(StoredWALHeader(header.bytes) == header)
        #expect(header.bytes.count == StoredWALHeader.length)
        #expect(StoredWALHeader([UInt8](repeating: 0, count: 48)) == nil)
        #expect(StoredWALHeader(Array(header.bytes.prefix(47))) == nil)
    }

    /// Push, get back the same bytes, push again (success), push other bytes under the name
    /// (conflict, original untouched), another cluster's segment and a lying header (refused).
    @Test func pushGetRetryConflictAndRefusal() throws {
        try Self.withArchive { archive, scratch in
            let name = "000000010000000000000003"
            try Self.write(Self.segment(name), scratch + "/" + name)
            try archive.push(scratch + "/" + name)
            let stored = archive.directory + "/0000000100000000/" + name + ".zst"
            let before = try #require(FileManager.default.contents(atPath: stored))
            try archive.get(name, to: scratch + "/back")
            #expect(FileManager.default.contents(atPath: scratch + "/back") == Data(Self.segment(name)))
            try archive.push(scratch + "/" + name)

            try Self.write(Self.segment(name, fill: 8), scratch + "/" + name)
            #expect { try archive.push(scratch + "/" + name) } throws: { ($0 as? WALArchiveError)?.code == .conflict }
            #expect(FileManager.default.contents(atPath: stored) == before)

            let other = "000000010000000000000004"
            try Self.write(Self.segment(other, system: 42), scratch + "/" + other)
            #expect { try archive.push(scratch + "/" + other) } throws: { ($0 as? WALArchiveError)?.code == .refused }
            try Self.write(Self.segment("000000010000000000000005"), scratch + "/" + other)
            #expect { try archive.push(scratch + "/" + other) } throws: { ($0 as? WALArchiveError)?.code == .refused }
            #expect(!FileManager.default.fileExists(atPath: archive.directory + "/0000000100000000/" + other + ".zst"))
            #expect { try archive.get(other, to: scratch + "/x") } throws: {
                ($0 as? WALArchiveError)?.code == .notFound && ($0 as? WALArchiveError)?.exitStatus.rawValue == 15
            }
        }
    }

    /// A flipped byte in the stored file is found by get, which leaves the destination alone.
    @Test func getRefusesADamagedFile() throws {
        try Self.withArchive { archive, scratch in
            let name = "000000010000000000000003"
            try Self.write(Self.segment(name), scratch + "/" + name)
            try archive.push(scratch + "/" + name)
            let stored = archive.directory + "/0000000100000000/" + name + ".zst"
            var bytes = try #require(FileManager.default.contents(atPath: stored))
            bytes[20] ^= 0xFF  // in the SHA-256 of the header
            try bytes.write(to: URL(fileURLWithPath: stored))
            #expect { try archive.get(name, to: scratch + "/back") } throws: {
                ($0 as? WALArchiveError)?.code == .damaged
            }
            #expect(!FileManager.default.fileExists(atPath: scratch + "/back"))
        }
    }

    /// A temporary nobody holds locked (a killed push's) is removed by the next push of the
    /// same file; one still locked (a push at work) stays.
    @Test func abandonedTemporariesGoLockedOnesStay() throws {
        try Self.withArchive { archive, scratch in
            let name = "000000010000000000000003"
            let directory = archive.directory + "/0000000100000000"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let abandoned = directory + "/" + WALArchiveLayout.temporaryName(storedName: name + ".zst", pid: 999_999)
            let held = directory + "/" + WALArchiveLayout.temporaryName(storedName: name + ".zst", pid: 999_998)
            try Self.write([1, 2, 3], abandoned)
            try Self.write([1, 2, 3], held)
            let descriptor = open(held, O_RDONLY)
            defer { close(descriptor) }
            #expect(flock(descriptor, LOCK_EX) == 0)
            try Self.write(Self.segment(name), scratch + "/" + name)
            try archive.push(scratch + "/" + name)
            #expect(!FileManager.default.fileExists(atPath: abandoned))
            #expect(FileManager.default.fileExists(atPath: held))
        }
    }
}

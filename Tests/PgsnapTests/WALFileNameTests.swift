import Testing

@testable import PostgresFormat

/// The one WAL-file-name codec: what backup names, restore and verify parse back, and the
/// names from a hostile backup directory it must refuse rather than misread or trap on.
@Suite("PostgreSQL formats: WAL file names", .unit)
struct WALFileNameTests {
    static let sizes: [UInt64] = [1 << 20, 16 << 20, 1 << 30]

    @Test(arguments: sizes)
    func namesRoundTripAtTheEdgesOfEveryLogFile(segmentSize: UInt64) throws {
        let perLogFile = 0x1_0000_0000 / segmentSize
        let last = UInt64.max / segmentSize
        for segment in [0, 1, perLogFile - 1, perLogFile, perLogFile + 1, 0x1234_5678 % last, last - 1, last] {
            for timeline: UInt32 in [1, 0xA, 0xFFFF_FFFF] {
                let file = WALFileName(timeline: timeline, segment: segment)
                let name = file.name(segmentSize: segmentSize)
                #expect(name.utf8.count == 24 && WALFileName.isSegmentName(name), "\(name)")
                #expect(WALFileName(parsing: name, segmentSize: segmentSize) == file, "\(name)")
                let start = try #require(file.start(segmentSize: segmentSize))
                #expect(WALFileName(timeline: timeline, containing: start, segmentSize: segmentSize) == file)
            }
        }
    }

    @Test func namesAreXLogFileNames() {
        let size: UInt64 = 16 << 20
        #expect(
            WALFileName(timeline: 1, containing: LSN(0x2FF_FFF8), segmentSize: size).name(segmentSize: size)
                == "000000010000000000000002")
        #expect(WALFileName(timeline: 0x1B, segment: 0x1_FF).name(segmentSize: size) == "0000001B00000001000000FF")
        #expect(
            WALFileName.names(from: LSN(0xFE00_0000), through: LSN(0x1_0000_01A0), timeline: 1, segmentSize: size)
                == ["0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000"])
        #expect(WALFileName.names(from: LSN(0x1_0000_0000), through: LSN(0xFF), timeline: 1, segmentSize: size).isEmpty)
        #expect(WALFileName.historyName(timeline: 0x2A) == "0000002A.history")
        // XLogFromFileName reads either case; the server itself only writes uppercase.
        #expect(
            WALFileName(parsing: "0000000a00000000000000ff", segmentSize: size)
                == WALFileName(timeline: 10, segment: 255))
        #expect(!WALFileName.isSegmentName("0000000a00000000000000ff"))
    }

    @Test func wrongLengthNonHexAndSegmentsBeyondTheSegmentSizeAreRefused() {
        let size: UInt64 = 16 << 20
        for name in [
            "", "00000001000000000000000", "0000000100000000000000010", "00000001000000000000000G",
            "0000000100000000+0000001", "00000001 00000000000001", "000000010000000000000001.partial",
            "00000001000000000000000\u{0661}",
        ] {
            #expect(WALFileName(parsing: name, segmentSize: size) == nil, "\(name)")
            #expect(!WALFileName.isSegmentName(name), "\(name)")
        }
        // 16 MiB segments: 256 per 4 GiB log file, so the low part stops at 000000FF.
        #expect(WALFileName(parsing: "000000010000000000000100", segmentSize: size) == nil)
        #expect(WALFileName(parsing: "000000010000000000000100", segmentSize: 1 << 20) != nil)
        #expect(WALFileName(parsing: "000000010000000000000FFF", segmentSize: 1 << 20) != nil)
        #expect(WALFileName(parsing: "000000010000000000001000", segmentSize: 1 << 20) == nil)
        #expect(WALFileName(parsing: "000000010000000000000003", segmentSize: 1 << 30) != nil)
        #expect(WALFileName(parsing: "000000010000000000000004", segmentSize: 1 << 30) == nil)
        // A segment number beyond 64 bits, and segment sizes PostgreSQL does not allow.
        #expect(WALFileName(parsing: "00000001FFFFFFFFFFFFFFFF", segmentSize: 1 << 20) == nil)
        for bad: UInt64 in [0, 1 << 19, (16 << 20) + 1, 1 << 31] {
            #expect(WALFileName(parsing: "000000010000000000000001", segmentSize: bad) == nil, "\(bad)")
        }
    }

    @Test func historyAndPartialNamesAreTheirOwn() {
        #expect(WALFileName.isHistoryName("00000002.history"))
        for name in ["0000002.history", "000000002.history", "0000000g.history", "00000002.history.done", "00000002"] {
            #expect(!WALFileName.isHistoryName(name), "\(name)")
        }
        for name in [
            "000000010000000000000001", "0000000A00000000000000FF.partial", "00000003.history",
            "0000000a00000000000000ff",
        ] {
            #expect(WALFileName.mayBeWAL(name), "\(name)")
        }
        for name in [
            "archive_status", "000000010000000000000001.done", "00000001000000000000001.partial",
            "000000010000000000000001.00000028.backup", "00000003.history.ready",
        ] {
            #expect(!WALFileName.mayBeWAL(name), "\(name)")
        }
    }
}

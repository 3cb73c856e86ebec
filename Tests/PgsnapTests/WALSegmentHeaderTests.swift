import Testing

@testable import PostgresFormat

/// The identity check of a WAL segment's first page: crafted names must not trap, and a
/// segment copied at a timeline switch (old xlp_tli under the new timeline's name) is fine.
@Suite("Restore: WAL segment header check", .unit)
struct WALSegmentHeaderTests {
    static let segmentSize: UInt64 = 16 << 20
    static let system: UInt64 = 7_300_000_000_000_000_001

    /// A long page header on `timeline` starting at `address`.
    private func header(timeline: UInt32, address: UInt64, system: UInt64 = Self.system) -> WALSegmentHeader {
        var bytes = [UInt8](repeating: 0, count: WALSegmentHeader.length)
        func put(_ value: UInt64, at offset: Int, width: Int) {
            for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        put(0xD110, at: 0, width: 2)
        put(0x0002, at: 2, width: 2)
        put(UInt64(timeline), at: 4, width: 4)
        put(address, at: 8, width: 8)
        put(system, at: 24, width: 8)
        put(Self.segmentSize, at: 32, width: 4)
        return WALSegmentHeader(bytes)
    }

    private func problem(
        _ header: WALSegmentHeader, _ name: String, timelines: Set<UInt32> = [],
        history: TimelineHistory? = nil
    ) -> String? {
        header.problem(
            name: name, size: Self.segmentSize, segmentSize: Self.segmentSize, systemIdentifier: Self.system,
            timelines: timelines, history: history)
    }

    @Test func namesOutsidePostgreSQLsRangeAreMalformedNotATrap() {
        // 16 MiB segments: 256 per 4 GiB log file, so the low part stops at 000000FF.
        #expect(
            WALFileName(parsing: "0000000100000001000000FF", segmentSize: Self.segmentSize)
                == WALFileName(timeline: 1, segment: 511))
        for name in [
            "00000001FFFFFFFFFFFFFFFF", "000000010000000000000100", "00000001FFFFFFFF00000100",
            "0000000100000000+0000001", "00000001000000000000000",
        ] {
            #expect(WALFileName(parsing: name, segmentSize: Self.segmentSize) == nil, "\(name)")
        }
        // The largest name there is still has a start that fits in 64 bits.
        let last = WALFileName(parsing: "00000001FFFFFFFF000000FF", segmentSize: Self.segmentSize)
        #expect(last?.segment == (UInt64(1) << 40) - 1)
        #expect(WALFileName(parsing: "000000010000000000000001", segmentSize: 0) == nil)
        // The crafted member of the review: 24 hex digits, a valid long header, a huge segment number.
        #expect(problem(header(timeline: 1, address: 0), "00000001FFFFFFFFFFFFFFFF") == "has a malformed name")
        #expect(
            problem(header(timeline: 1, address: UInt64.max - Self.segmentSize + 1), "00000001FFFFFFFF000000FF") == nil)
    }

    /// PostgreSQL copies the old timeline's last segment to the new timeline's name at a switch;
    /// the copy's first page keeps the old timeline. A standby backup may start in it.
    @Test func aSegmentCopiedAtATimelineSwitchKeepsItsOldTimeline() {
        let address: UInt64 = 7 * Self.segmentSize
        let name = "000000030000000000000007"
        let copied = header(timeline: 2, address: address)
        #expect(problem(copied, name, timelines: [3]) == nil)
        #expect(
            problem(
                copied, name, timelines: [3],
                history: TimelineHistory(timeline: 3, switchPoints: [1: 0x300_0000, 2: address + 0x100])) == nil)
        // Not an ancestor by the history that came with the backup.
        #expect(
            problem(copied, name, timelines: [3], history: TimelineHistory(timeline: 3, switchPoints: [1: 0x300_0000]))
                == "is on timeline 2, which is no ancestor of timeline 3 its name says")
        // A history of another timeline says nothing about this one.
        #expect(
            problem(copied, name, timelines: [3], history: TimelineHistory(timeline: 4, switchPoints: [3: 1])) == nil)
        // Never a higher timeline than the name's.
        #expect(
            problem(header(timeline: 4, address: address), name, timelines: [3]) == "is on timeline 4, its name says 3")
        // The name's timeline must be the backup's.
        #expect(problem(copied, name, timelines: [4]) == "is on timeline 3; the backup is on 4")
        // Still this cluster's, still where its name says.
        #expect(
            problem(header(timeline: 2, address: address, system: 42), name, timelines: [3])
                == "belongs to cluster 42, not this backup's \(Self.system)")
        #expect(
            problem(header(timeline: 2, address: address + Self.segmentSize), name, timelines: [3])
                == "starts at 0/8000000, its name says 0/7000000")
        #expect(problem(header(timeline: 3, address: address), name, timelines: [3]) == nil)
    }
}

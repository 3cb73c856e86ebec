/// The names PostgreSQL gives WAL files (xlog_internal.h), and the one codec for them: backup
/// names the segments it copies, restore and verify parse the names they find, all here.
///
/// A segment is `TTTTTTTTXXXXXXXXYYYYYYYY`: the timeline, then the segment number split into a
/// 4 GiB "log file" (`XXXXXXXX`) and the segment within it (`YYYYYYYY`, below 4 GiB / segment
/// size). A timeline's history is `TTTTTTTT.history`; the segment a server stopped writing at a
/// promotion keeps the suffix `.partial`.
public struct WALFileName: Sendable, Hashable {
    public static let segmentNameLength = 24
    public static let historySuffix = ".history"
    /// PostgreSQL's suffix for a file it has not finished: the segment pg_receivewal is still
    /// streaming, or the last segment of the old timeline at a promotion. pgsnap's unfinished
    /// backup directories borrow it (`BackupFiles.partialSuffix`).
    public static let partialSuffix = ".partial"

    public var timeline: UInt32
    /// Segments since LSN 0: the segment's first LSN divided by the segment size.
    public var segment: UInt64

    public init(timeline: UInt32, segment: UInt64) {
        self.timeline = timeline
        self.segment = segment
    }

    /// The segment holding `lsn` (`XLByteToSeg`).
    public init(timeline: UInt32, containing lsn: LSN, segmentSize: UInt64) {
        self.init(timeline: timeline, segment: lsn.value / segmentSize)
    }

    /// Parses a segment name as `XLogFromFileName` does (hex digits of either case), nil when it
    /// is no name PostgreSQL writes: not 24 hex digits, a segment within its log file at or
    /// beyond 4 GiB / segment size, or a segment number beyond 64 bits. The name comes from a
    /// backup directory or an archive, so nothing in it is trusted.
    public init?(parsing name: some StringProtocol, segmentSize: UInt64) {
        let bytes = Array(name.utf8)
        guard Self.isSegmentSize(segmentSize), bytes.count == Self.segmentNameLength,
            bytes.allSatisfy({ Self.isHexDigit($0, uppercaseOnly: false) }),
            let timeline = UInt32(String(decoding: bytes[0..<8], as: UTF8.self), radix: 16),
            let high = UInt64(String(decoding: bytes[8..<16], as: UTF8.self), radix: 16),
            let low = UInt64(String(decoding: bytes[16..<24], as: UTF8.self), radix: 16)
        else { return nil }
        let perLogFile = 0x1_0000_0000 / segmentSize
        guard low < perLogFile else { return nil }
        let (scaled, overflow) = high.multipliedReportingOverflow(by: perLogFile)
        let (segment, carry) = scaled.addingReportingOverflow(low)
        guard !overflow, !carry else { return nil }
        self.init(timeline: timeline, segment: segment)
    }

    /// The name, as `XLogFileName` writes it. `segmentSize` must be one PostgreSQL allows.
    public func name(segmentSize: UInt64) -> String {
        let perLogFile = 0x1_0000_0000 / segmentSize
        return Self.hex8(UInt64(timeline)) + Self.hex8(segment / perLogFile) + Self.hex8(segment % perLogFile)
    }

    /// The segment's first position (`XLogSegNoOffsetToRecPtr`), nil when a hostile name's
    /// segment number puts it beyond the LSN space.
    public func start(segmentSize: UInt64) -> LSN? {
        let (start, overflow) = segment.multipliedReportingOverflow(by: segmentSize)
        return overflow ? nil : LSN(start)
    }

    /// Every segment name from the one holding `start` through the one holding `end`, in order.
    public static func names(from start: LSN, through end: LSN, timeline: UInt32, segmentSize: UInt64) -> [String] {
        let first = start.value / segmentSize
        let last = end.value / segmentSize
        guard first <= last else { return [] }
        return (first...last).map { WALFileName(timeline: timeline, segment: $0).name(segmentSize: segmentSize) }
    }

    /// `TTTTTTTT.history` (`TLHistoryFileName`).
    public static func historyName(timeline: UInt32) -> String {
        hex8(UInt64(timeline)) + historySuffix
    }

    /// 24 uppercase hex digits (`IsXLogFileName`).
    public static func isSegmentName(_ name: some StringProtocol) -> Bool {
        hasHexDigits(name.utf8, count: segmentNameLength, uppercaseOnly: true)
    }

    /// 8 uppercase hex digits and `.history` (`IsTLHistoryFileName`).
    public static func isHistoryName(_ name: some StringProtocol) -> Bool {
        name.hasSuffix(historySuffix)
            && hasHexDigits(name.utf8.dropLast(historySuffix.utf8.count), count: 8, uppercaseOnly: true)
    }

    /// Whether a file in a pg_wal may be WAL that recovery or archiving still needs: a segment, a
    /// `.partial` segment or a history file, hex digits of either case. Broader than what the
    /// server writes on purpose: keeping a stray file aside costs nothing, deleting WAL loses
    /// the last transactions.
    public static func mayBeWAL(_ name: some StringProtocol) -> Bool {
        if name.hasSuffix(partialSuffix) {
            return hasHexDigits(
                name.utf8.dropLast(partialSuffix.utf8.count), count: segmentNameLength, uppercaseOnly: false)
        }
        if name.hasSuffix(historySuffix) {
            return hasHexDigits(name.utf8.dropLast(historySuffix.utf8.count), count: 8, uppercaseOnly: false)
        }
        return hasHexDigits(name.utf8, count: segmentNameLength, uppercaseOnly: false)
    }

    /// A power of two from 1 MiB to 1 GiB, the segment sizes `initdb --wal-segsize` allows.
    public static func isSegmentSize(_ size: UInt64) -> Bool {
        size.nonzeroBitCount == 1 && (1 << 20)...(1 << 30) ~= size
    }

    private static func hasHexDigits(_ bytes: some Collection<UInt8>, count: Int, uppercaseOnly: Bool) -> Bool {
        bytes.count == count && bytes.allSatisfy { isHexDigit($0, uppercaseOnly: uppercaseOnly) }
    }

    private static func isHexDigit(_ byte: UInt8, uppercaseOnly: Bool) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
            || (!uppercaseOnly && (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte))
    }

    private static func hex8(_ value: UInt64) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

internal import Archive

/// The long page header every WAL segment starts with: xlp_info (XLP_LONG_HEADER), xlp_tli,
/// xlp_pageaddr, xlp_sysid, xlp_seg_size, little-endian as PostgreSQL writes them on x86 and
/// arm64. The one check of a segment's identity, shared by verify and restore: a segment of
/// another cluster or timeline makes the restored server refuse to start.
public struct WALSegmentHeader: Sendable {
    /// Bytes of the segment's start that the check needs.
    public static let length = 40

    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Why segment `name` of `size` bytes is not one of this backup's, or nil.
    ///
    /// The header's timeline may be lower than the name's: at a timeline switch PostgreSQL copies
    /// the old timeline's last segment to the new timeline's name, and that copy keeps the old
    /// xlp_tli on its first page (a standby backup taken just after a failover starts in it).
    /// With the name's timeline history at hand, the header's must be one of its ancestors.
    public func problem(name: String, size: UInt64, segmentSize: UInt64, systemIdentifier: UInt64?,
                        timelines: Set<UInt32>, history: TimelineHistory? = nil) -> String? {
        guard size == segmentSize else { return "is \(size) bytes, not \(segmentSize)" }
        guard bytes.count >= Self.length else { return "is too short for a page header" }
        func value(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        guard let (nameTimeline, segment) = Self.parse(name, segmentSize: segmentSize) else { return "has a malformed name" }
        if value(2, 2) & 0x0002 == 0 { return "does not start with a long page header (not a WAL segment, or zeroed)" }
        let timeline = UInt32(value(4, 4))
        if timeline > nameTimeline { return "is on timeline \(timeline), its name says \(nameTimeline)" }
        if timeline < nameTimeline, let history, history.timeline == nameTimeline, history.switchPoints[timeline] == nil {
            return "is on timeline \(timeline), which is no ancestor of timeline \(nameTimeline) its name says"
        }
        if !timelines.isEmpty, !timelines.contains(nameTimeline) {
            return "is on timeline \(nameTimeline); the backup is on \(timelines.sorted().map(String.init).joined(separator: ", "))"
        }
        let pageAddress = value(8, 8)
        let (start, overflow) = segment.multipliedReportingOverflow(by: segmentSize)
        if overflow { return "has a malformed name" }
        if pageAddress != start {
            return "starts at \(WALRange.formatLSN(pageAddress)), its name says \(WALRange.formatLSN(start))"
        }
        let identifier = value(24, 8)
        if let systemIdentifier, identifier != systemIdentifier {
            return "belongs to cluster \(identifier), not this backup's \(systemIdentifier)"
        }
        if value(32, 4) != segmentSize { return "declares segment size \(value(32, 4))" }
        return nil
    }

    /// The segment size this header declares, when it is one PostgreSQL allows (a power of two
    /// from 1 MiB to 1 GiB).
    public var declaredSegmentSize: UInt64? {
        guard bytes.count >= Self.length else { return nil }
        let size = (0..<4).reduce(UInt64(0)) { $0 | UInt64(bytes[32 + $1]) << (8 * UInt64($1)) }
        return Self.isSegmentSize(size) ? size : nil
    }

    public static func isSegmentSize(_ size: UInt64) -> Bool {
        size.nonzeroBitCount == 1 && (1 << 20)...(1 << 30) ~= size
    }

    /// Timeline and segment number of a segment file name. The low eight digits count segments
    /// within one 4 GiB "log file", so they stay below 4 GiB / segment size (PostgreSQL's
    /// XLogFromFileName); a larger one is no name PostgreSQL writes, and its start would not
    /// fit in 64 bits.
    public static func parse(_ name: String, segmentSize: UInt64) -> (UInt32, UInt64)? {
        let characters = Array(name)
        guard isSegmentSize(segmentSize), characters.count == 24,
              characters.allSatisfy({ $0.isHexDigit && $0.isASCII }),
              let timeline = UInt32(String(characters[0..<8]), radix: 16),
              let high = UInt64(String(characters[8..<16]), radix: 16),
              let low = UInt64(String(characters[16..<24]), radix: 16)
        else { return nil }
        let perLogFile = 0x1_0000_0000 / segmentSize
        guard low < perLogFile else { return nil }
        let (scaled, overflow) = high.multipliedReportingOverflow(by: perLogFile)
        guard !overflow else { return nil }
        let (segment, carry) = scaled.addingReportingOverflow(low)
        return carry ? nil : (timeline, segment)
    }
}

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
    public func problem(
        name: String, size: UInt64, segmentSize: UInt64, systemIdentifier: UInt64?,
        timelines: Set<UInt32>, history: TimelineHistory? = nil
    ) -> String? {
        guard size == segmentSize else { return "is \(size) bytes, not \(segmentSize)" }
        guard bytes.count >= Self.length else { return "is too short for a page header" }
        func value(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        guard let parsed = WALFileName(parsing: name, segmentSize: segmentSize) else { return "has a malformed name" }
        let nameTimeline = parsed.timeline
        if value(2, 2) & 0x0002 == 0 { return "does not start with a long page header (not a WAL segment, or zeroed)" }
        let timeline = UInt32(value(4, 4))
        if timeline > nameTimeline { return "is on timeline \(timeline), its name says \(nameTimeline)" }
        if timeline < nameTimeline, let history, history.timeline == nameTimeline, history.switchPoints[timeline] == nil
        {
            return "is on timeline \(timeline), which is no ancestor of timeline \(nameTimeline) its name says"
        }
        if !timelines.isEmpty, !timelines.contains(nameTimeline) {
            return
                "is on timeline \(nameTimeline); the backup is on \(timelines.sorted().map(String.init).joined(separator: ", "))"
        }
        let pageAddress = value(8, 8)
        guard let start = parsed.start(segmentSize: segmentSize) else { return "has a malformed name" }
        if pageAddress != start.value {
            return "starts at \(LSN(pageAddress)), its name says \(start)"
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
        return WALFileName.isSegmentSize(size) ? size : nil
    }
}

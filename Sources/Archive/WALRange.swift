/// A stretch of WAL a restore must replay, on one timeline: `backup_manifest`'s `WAL-Ranges`.
///
/// A backup that spans a timeline switch (taken on a standby that was promoted) has one range
/// per timeline, newest first, as PostgreSQL lists them.
public struct WALRange: Sendable, Equatable {
    public var timeline: UInt32
    /// LSNs as 64-bit positions; rendered `%X/%X`.
    public var start: UInt64
    public var end: UInt64

    public init(timeline: UInt32, start: UInt64, end: UInt64) {
        self.timeline = timeline
        self.start = start
        self.end = end
    }

    /// Parses PostgreSQL's `XXXXXXXX/XXXXXXXX` notation.
    public static func parseLSN(_ text: some StringProtocol) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt32(parts[0], radix: 16), let low = UInt32(parts[1], radix: 16) else {
            return nil
        }
        return UInt64(high) << 32 | UInt64(low)
    }

    /// `%X/%X`, uppercase hex without padding, as `LSN_FORMAT_ARGS` prints.
    public static func formatLSN(_ lsn: UInt64) -> String {
        String(UInt32(truncatingIfNeeded: lsn >> 32), radix: 16, uppercase: true) + "/"
            + String(UInt32(truncatingIfNeeded: lsn), radix: 16, uppercase: true)
    }
}

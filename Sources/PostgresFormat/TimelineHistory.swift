internal import Foundation

/// Where the timelines before one timeline ended, from its `<TLI>.history` file (each line
/// `<parent timeline> <switch LSN> <reason>`), as a backup's pg_wal.tar.zst holds it after a
/// failover. A point (timeline, LSN) lies on the history if recovery along the newest timeline
/// passes through it: on that timeline itself, or on a parent before the parent's switch.
public struct TimelineHistory: Sendable, Equatable {
    public var timeline: UInt32
    /// Parent timeline → the LSN at which the next timeline branched off it.
    public var switchPoints: [UInt32: UInt64]

    /// History files are a line per earlier timeline; anything larger is not one.
    public static let sizeLimit: UInt64 = 1 << 20

    public func contains(timeline point: UInt32, lsn: UInt64) -> Bool {
        if point == timeline { return true }
        guard let end = switchPoints[point] else { return false }
        return lsn <= end
    }

    /// Parses a history file; nil if any line is malformed.
    public static func parse(_ text: String, timeline: UInt32) -> TimelineHistory? {
        var points: [UInt32: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 2, let parent = UInt32(fields[0]), parent < timeline,
                let lsn = LSN(parsing: fields[1])?.value
            else { return nil }
            points[parent] = lsn
        }
        return TimelineHistory(timeline: timeline, switchPoints: points)
    }
}

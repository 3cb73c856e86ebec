public import Foundation
public import TargetLayout

/// What the last complete backups of this cluster say about one origin and about every
/// snapshot's life: the history `pgsnap estimate` prefers to a sample, because it is the copy
/// as it really ran (compression, parallel archives, the target's speed).
public struct VolumeHistory: Sendable, Equatable, Encodable {
    /// Backups the figures come from (newest first, at most `SizingHistory.limit`).
    public var backups: [String]
    /// How long the snapshots existed, median: from their creation (or, in records written
    /// before the watcher started there, from the copy's start) to the copy's end.
    public var snapshotLifeSeconds: Double
    /// The highest copy-on-write use of this origin's snapshot in those backups, in bytes, when
    /// their records have it.
    public var peakSnapshotBytes: UInt64?
    /// The same as a percentage of the snapshot, the highest.
    public var peakFillPercent: Double?
    /// Median `backup_mode_seconds`.
    public var backupModeSeconds: Double

    public init(
        backups: [String], snapshotLifeSeconds: Double, peakSnapshotBytes: UInt64?, peakFillPercent: Double?,
        backupModeSeconds: Double
    ) {
        self.backups = backups
        self.snapshotLifeSeconds = snapshotLifeSeconds
        self.peakSnapshotBytes = peakSnapshotBytes
        self.peakFillPercent = peakFillPercent
        self.backupModeSeconds = backupModeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case backups
        case snapshotLifeSeconds = "snapshot_life_seconds"
        case peakSnapshotBytes = "peak_snapshot_bytes"
        case peakFillPercent = "peak_fill_percent"
        case backupModeSeconds = "backup_mode_seconds"
    }
}

/// The history of every origin, from backup.json records (newest first).
public enum SizingHistory {
    /// Records looked at: enough for a median, few enough that a change of load shows soon.
    public static let limit = 5

    /// `origin` is `vg/lv`. Nil without a record that snapshotted it.
    public static func of(origin: String, in records: [BackupRecord]) -> VolumeHistory? {
        let relevant = records.filter { $0.volumes.contains { $0.origin == origin } }.prefix(limit)
        guard !relevant.isEmpty else { return nil }
        var peakBytes: UInt64?
        var peakPercent: Double?
        for record in relevant {
            guard let volume = record.volumes.first(where: { $0.origin == origin }) else { continue }
            let curve = volume.fillHistory ?? []
            let bytes =
                curve.compactMap(\.bytes).max()
                ?? volume.peakFillPercent.flatMap { percent in
                    volume.snapshotBytes.map { UInt64(Double($0) * percent / 100) }
                }
            if let bytes { peakBytes = max(peakBytes ?? 0, bytes) }
            if let percent = volume.peakFillPercent { peakPercent = max(peakPercent ?? 0, percent) }
        }
        return VolumeHistory(
            backups: relevant.map(\.id), snapshotLifeSeconds: median(relevant.map(life)),
            peakSnapshotBytes: peakBytes, peakFillPercent: peakPercent,
            backupModeSeconds: median(relevant.map(\.backupModeSeconds)))
    }

    /// A snapshot's life in one backup: the longest fill curve (the watch covers it), or the
    /// copy's length from its bytes and throughput when the record has no curve.
    static func life(_ record: BackupRecord) -> Double {
        let watched = record.volumes.compactMap { $0.fillHistory?.last?.seconds }.max() ?? 0
        return max(watched, copySeconds(record) ?? 0)
    }

    /// How long one backup's copy took: its bytes at its throughput; nil without a throughput.
    static func copySeconds(_ record: BackupRecord) -> Double? {
        record.throughputBytesPerSecond > 0 ? Double(record.bytesRead) / record.throughputBytesPerSecond : nil
    }

    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

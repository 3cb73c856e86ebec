extension BackupRecord {
    /// How `snapshot_size = auto` sized one classic snapshot (backup.json's
    /// `volumes[].snapshot_size_choice`), so that a reader sees why it got the size it had:
    ///
    ///     projected = max(write rate × snapshot life, the history's peak)
    ///     chosen    = projected × safety factor × 100 / snapshot_autoextend_threshold
    ///                 + metadata, in extents, within the bounds
    public struct SnapshotSizeChoice: Codable, Sendable, Equatable {
        /// Bytes per second written to the origin over the sample (the block layer's count:
        /// an upper bound of what the snapshot stores).
        public var bytesPerSecond: Double
        public var sampleSeconds: Double
        /// How long the snapshot is expected to exist, and from what: `history` (the last
        /// backups') or `measured` (a read-and-compress sample of the cluster's files).
        public var snapshotLifeSeconds: Double
        public var lifeSource: String
        /// The highest copy-on-write use of this origin's snapshot in the last backups.
        public var historyPeakBytes: UInt64?
        public var projectedBytes: UInt64
        /// The projection with the safety factor and metadata, in extents.
        public var recommendedBytes: UInt64
        public var minimumBytes: UInt64
        public var maximumBytes: UInt64
        public var chosenBytes: UInt64
        /// What capped or raised the recommendation: `minimum`, `maximum` or `volume_group`
        /// (the VG's free space shared by its snapshots); nil when it was taken as it was.
        public var limitedBy: String?

        public init(
            bytesPerSecond: Double, sampleSeconds: Double, snapshotLifeSeconds: Double, lifeSource: String,
            historyPeakBytes: UInt64?, projectedBytes: UInt64, recommendedBytes: UInt64, minimumBytes: UInt64,
            maximumBytes: UInt64, chosenBytes: UInt64, limitedBy: String?
        ) {
            self.bytesPerSecond = bytesPerSecond
            self.sampleSeconds = sampleSeconds
            self.snapshotLifeSeconds = snapshotLifeSeconds
            self.lifeSource = lifeSource
            self.historyPeakBytes = historyPeakBytes
            self.projectedBytes = projectedBytes
            self.recommendedBytes = recommendedBytes
            self.minimumBytes = minimumBytes
            self.maximumBytes = maximumBytes
            self.chosenBytes = chosenBytes
            self.limitedBy = limitedBy
        }

        enum CodingKeys: String, CodingKey {
            case bytesPerSecond = "bytes_per_second"
            case sampleSeconds = "sample_seconds"
            case snapshotLifeSeconds = "snapshot_life_seconds"
            case lifeSource = "life_source"
            case historyPeakBytes = "history_peak_bytes"
            case projectedBytes = "projected_bytes"
            case recommendedBytes = "recommended_bytes"
            case minimumBytes = "minimum_bytes"
            case maximumBytes = "maximum_bytes"
            case chosenBytes = "chosen_bytes"
            case limitedBy = "limited_by"
        }
    }
}

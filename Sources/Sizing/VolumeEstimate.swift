/// The estimate for one snapshot a backup would make.
public struct VolumeEstimate: Sendable, Equatable, Encodable {
    /// `vg/lv` of the origin.
    public var origin: String
    /// `classic` or `thin`.
    public var type: String
    public var originBytes: UInt64
    /// Where the write rate comes from: `probe` (unique COW chunks) or `block_stat` (an upper
    /// bound).
    public var rateSource: String
    public var bytesPerSecond: Double
    /// Both measurements: the block layer's (an upper bound) and the probe's (exact, when run).
    public var blockBytesPerSecond: Double = 0
    public var probeBytesPerSecond: Double?
    /// How long the snapshot is expected to exist, and where that figure comes from
    /// (`history` or `measured`).
    public var snapshotLifeSeconds: Double
    public var lifeSource: String
    /// Copy-on-write use projected over the snapshot's life, before the safety factor.
    public var projectedBytes: UInt64
    /// The projection with the safety factor and metadata, in whole extents (classic only).
    public var recommendedBytes: UInt64?
    /// `snapshot_size` as it applies to this origin (classic only).
    public var configuredBytes: UInt64?
    /// For a thin snapshot: the pool, its size and free space before the backup.
    public var pool: String?
    public var poolFreeBytes: UInt64?
    public var projectedPoolPercent: Double?
    public var volumeGroup: String
    public var volumeGroupFreeBytes: UInt64
    public var verdict: SizingVerdict
    /// By how much the configured size falls short (too_small, no_room), in bytes.
    public var shortfallBytes: UInt64?
    /// The peak use and fill of this origin's snapshot in the last backups.
    public var historyPeakBytes: UInt64?
    public var historyPeakFillPercent: Double?
    /// What `snapshot_size = auto` would choose for this classic snapshot now, from the same
    /// sample and history (nil for a thin one), and what bounded it (minimum, maximum,
    /// volume_group) if anything did.
    public var autoBytes: UInt64?
    public var autoLimitedBy: String?

    enum CodingKeys: String, CodingKey {
        case origin, type, pool, verdict
        case originBytes = "origin_bytes"
        case rateSource = "rate_source"
        case bytesPerSecond = "bytes_per_second"
        case blockBytesPerSecond = "block_bytes_per_second"
        case probeBytesPerSecond = "probe_bytes_per_second"
        case snapshotLifeSeconds = "snapshot_life_seconds"
        case lifeSource = "life_source"
        case projectedBytes = "projected_bytes"
        case recommendedBytes = "recommended_bytes"
        case configuredBytes = "configured_bytes"
        case poolFreeBytes = "pool_free_bytes"
        case projectedPoolPercent = "projected_pool_percent"
        case volumeGroup = "vg"
        case volumeGroupFreeBytes = "vg_free_bytes"
        case shortfallBytes = "shortfall_bytes"
        case historyPeakBytes = "history_peak_bytes"
        case historyPeakFillPercent = "history_peak_fill_percent"
        case autoBytes = "auto_bytes"
        case autoLimitedBy = "auto_limited_by"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin, forKey: .origin)
        try container.encode(type, forKey: .type)
        try container.encode(originBytes, forKey: .originBytes)
        try container.encode(rateSource, forKey: .rateSource)
        try container.encode(bytesPerSecond, forKey: .bytesPerSecond)
        try container.encode(blockBytesPerSecond, forKey: .blockBytesPerSecond)
        try container.encode(probeBytesPerSecond, forKey: .probeBytesPerSecond)
        try container.encode(snapshotLifeSeconds, forKey: .snapshotLifeSeconds)
        try container.encode(lifeSource, forKey: .lifeSource)
        try container.encode(projectedBytes, forKey: .projectedBytes)
        try container.encode(recommendedBytes, forKey: .recommendedBytes)
        try container.encode(configuredBytes, forKey: .configuredBytes)
        try container.encode(pool, forKey: .pool)
        try container.encode(poolFreeBytes, forKey: .poolFreeBytes)
        try container.encode(projectedPoolPercent, forKey: .projectedPoolPercent)
        try container.encode(volumeGroup, forKey: .volumeGroup)
        try container.encode(volumeGroupFreeBytes, forKey: .volumeGroupFreeBytes)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(shortfallBytes, forKey: .shortfallBytes)
        try container.encode(historyPeakBytes, forKey: .historyPeakBytes)
        try container.encode(historyPeakFillPercent, forKey: .historyPeakFillPercent)
        try container.encode(autoBytes, forKey: .autoBytes)
        try container.encode(autoLimitedBy, forKey: .autoLimitedBy)
    }
}

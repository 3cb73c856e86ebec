public import ExitStatus
public import Preflight

/// Everything `pgsnap estimate` found: one estimate per snapshot, the sample behind them,
/// and the problems (`check`'s) that kept it from estimating at all.
public struct SizingReport: Sendable, Encodable {
    public var sampleSeconds: Double = 0
    public var probed = false
    public var volumes: [VolumeEstimate] = []
    /// WAL the server wrote during the sample (`pg_current_wal_lsn()` deltas), and the full-page
    /// images among its records (`pg_stat_wal`, a cross-check of the block rate).
    public var walBytesPerSecond: Double?
    public var walFullPageImagesPerSecond: Double?
    /// Which volume holds pg_wal (`vg/lv`), when it is one of the snapshotted ones.
    public var walVolume: String?
    /// The backup-mode window to expect: the median of the last backups', when there are any.
    public var expectedBackupModeSeconds: Double?
    /// How long the copy is expected to take, and from what (`history`, `measured`).
    public var expectedCopySeconds: Double?
    public var copySource: String?
    public var problems: [Problem] = []

    public init() {}

    /// 0 when every snapshot is expected to hold; `sizing` (12) when one is too small, has no
    /// room or would push its thin pool past the danger threshold; `check`'s code when a backup
    /// could not run at all.
    public var exitStatus: ExitStatus {
        if let worst = problems.map(\.exitStatus).min(by: { $0.rawValue < $1.rawValue }) { return worst }
        return volumes.allSatisfy(\.verdict.isEnough) ? .success : .sizing
    }

    enum CodingKeys: String, CodingKey {
        case ok
        case exitStatus = "exit_status"
        case sampleSeconds = "sample_seconds"
        case probed, volumes, problems
        case walBytesPerSecond = "wal_bytes_per_second"
        case walFullPageImagesPerSecond = "wal_full_page_images_per_second"
        case walVolume = "wal_volume"
        case expectedBackupModeSeconds = "expected_backup_mode_seconds"
        case expectedCopySeconds = "expected_copy_seconds"
        case copySource = "copy_source"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(exitStatus == .success, forKey: .ok)
        try container.encode(exitStatus.rawValue, forKey: .exitStatus)
        try container.encode(sampleSeconds, forKey: .sampleSeconds)
        try container.encode(probed, forKey: .probed)
        try container.encode(volumes, forKey: .volumes)
        try container.encode(walBytesPerSecond, forKey: .walBytesPerSecond)
        try container.encode(walFullPageImagesPerSecond, forKey: .walFullPageImagesPerSecond)
        try container.encode(walVolume, forKey: .walVolume)
        try container.encode(expectedBackupModeSeconds, forKey: .expectedBackupModeSeconds)
        try container.encode(expectedCopySeconds, forKey: .expectedCopySeconds)
        try container.encode(copySource, forKey: .copySource)
        try container.encode(problems, forKey: .problems)
    }
}

public import Preflight
import Storage

/// The arithmetic of `pgsnap estimate`, a pure function of what was measured and recorded, so
/// every verdict is unit-tested from made-up numbers (SizingEstimatorTests):
///
///     projected   = write rate × snapshot life (+ one WAL segment on pg_wal's volume)
///     recommended = projected × safety factor × (1 + metadata share) + one chunk, in extents
///
/// The write rate is a probe snapshot's unique copy-on-write growth when there is one, else
/// the block layer's written bytes (an upper bound). The life is the median of the last
/// backups' (from the snapshots' creation to the copy's end) when there are any, else the
/// measured copy time plus `setupAllowanceSeconds` for creation, mount and listing.
public enum SizingEstimator {
    /// Headroom over a projection, here and for the snapshot watcher's extensions and the size
    /// its early abort names (docs/sizing.md).
    public static let safetyFactor = 1.2
    /// A classic snapshot's exception store keeps 16 bytes per 4 KiB chunk (dm-snap's
    /// persistent format, one metadata chunk per 256 data chunks), and one header chunk.
    static let metadataShare = 1.0 / 256
    static let headerBytes: UInt64 = 4096
    /// Snapshot life without history, on top of the copy: creating the snapshots (lvcreate
    /// suspends the origin; seconds on a busy host), mounting and listing them.
    public static let setupAllowanceSeconds = 30.0
    /// A configured size this many times the recommendation, and a GiB over it, is wasteful.
    static let wastefulFactor = 4.0
    static let wastefulMarginBytes: UInt64 = 1 << 30

    /// One snapshot to estimate.
    public struct Input: Sendable {
        public var planned: PlannedSnapshot
        public var sample: VolumeSample
        public var history: VolumeHistory?
        /// The copy's expected length without history (measured read and compression rate).
        public var measuredCopySeconds: Double
        /// A thin snapshot's pool: its size and data fill in percent.
        public var pool: (name: String, sizeBytes: UInt64, dataPercent: Double)?
        /// On the volume that holds pg_wal: the segment the backup's own stop switches to,
        /// which PostgreSQL writes in full when it is new (`wal_init_zero`) while the snapshot
        /// exists. Measured in the VM: a 16 MiB term a sample of a quiet server never sees.
        public var walSwitchBytes: UInt64 = 0
        /// The copy at `max_rate`: the snapshot lives at least this long whatever the history
        /// says (the last backups may have run without the limit). 0 without a limit.
        public var rateLimitedCopySeconds: Double = 0

        public init(
            planned: PlannedSnapshot, sample: VolumeSample, history: VolumeHistory?, measuredCopySeconds: Double,
            pool: (name: String, sizeBytes: UInt64, dataPercent: Double)? = nil, walSwitchBytes: UInt64 = 0
        ) {
            self.walSwitchBytes = walSwitchBytes
            self.planned = planned
            self.sample = sample
            self.history = history
            self.measuredCopySeconds = measuredCopySeconds
            self.pool = pool
        }
    }

    public static func estimate(_ inputs: [Input], thinPoolDangerThreshold: Double) -> [VolumeEstimate] {
        var estimates = inputs.map { estimateOne($0, thinPoolDangerThreshold: thinPoolDangerThreshold) }
        applyRoom(&estimates)
        return estimates
    }

    static func estimateOne(_ input: Input, thinPoolDangerThreshold: Double) -> VolumeEstimate {
        let origin = input.planned.origin
        let (rate, life, projected) = projection(input)
        var estimate = VolumeEstimate(
            origin: origin.path, type: origin.kind.rawValue, originBytes: origin.sizeBytes,
            rateSource: input.sample.probeBytes == nil ? "block_stat" : "probe", bytesPerSecond: rate,
            snapshotLifeSeconds: life, lifeSource: input.history == nil ? "measured" : "history",
            projectedBytes: projected, volumeGroup: origin.volumeGroup,
            volumeGroupFreeBytes: origin.volumeGroupFreeBytes, verdict: .enough,
            historyPeakBytes: input.history?.peakSnapshotBytes,
            historyPeakFillPercent: input.history?.peakFillPercent)
        estimate.blockBytesPerSecond = input.sample.blockBytesPerSecond
        estimate.probeBytesPerSecond = input.sample.probeBytesPerSecond
        if let pool = input.pool {
            let free = UInt64(Double(pool.sizeBytes) * max(0, 100 - pool.dataPercent) / 100)
            let percent = pool.dataPercent + Double(projected) * safetyFactor * 100 / Double(max(pool.sizeBytes, 1))
            estimate.pool = pool.name
            estimate.poolFreeBytes = free
            estimate.projectedPoolPercent = percent
            estimate.verdict = percent >= thinPoolDangerThreshold ? .poolTooFull : .enough
            return estimate
        }
        let recommended = recommendedBytes(projected: projected, extentBytes: origin.volumeGroupExtentBytes)
        let configured = input.planned.sizeBytes ?? 0
        estimate.recommendedBytes = recommended
        estimate.configuredBytes = configured
        if configured < recommended {
            estimate.verdict = .tooSmall
            estimate.shortfallBytes = recommended - configured
        } else if Double(configured) > Double(recommended) * wastefulFactor,
            configured - recommended > wastefulMarginBytes
        {
            estimate.verdict = .wasteful
        }
        return estimate
    }

    /// The write rate (bytes per second), the snapshot's life (seconds) and their product plus
    /// the WAL segment term: the one projection `estimate` and `snapshot_size = auto` share.
    public static func projection(_ input: Input) -> (rate: Double, life: Double, projected: UInt64) {
        let rate = max(input.sample.probeBytesPerSecond ?? input.sample.blockBytesPerSecond, 0)
        let life = max(
            input.history?.snapshotLifeSeconds ?? (input.measuredCopySeconds + setupAllowanceSeconds),
            input.rateLimitedCopySeconds)
        return (rate, life, UInt64(min(rate * life, Double(UInt64.max / 4))) + input.walSwitchBytes)
    }

    /// The projection with the safety factor and the exception store's metadata, rounded up
    /// to whole extents (at least one).
    public static func recommendedBytes(projected: UInt64, extentBytes: UInt64) -> UInt64 {
        let extent = max(extentBytes, 1)
        let raw = UInt64((Double(projected) * safetyFactor * (1 + metadataShare)).rounded(.up)) + headerBytes
        return max((raw + extent - 1) / extent * extent, extent)
    }

    /// A VG must hold every classic snapshot at the larger of its configured and recommended
    /// size (a too-small one grows to the recommendation by autoextend): where it cannot, the
    /// too-small snapshots of that VG have no room.
    static func applyRoom(_ estimates: inout [VolumeEstimate]) {
        let groups = Set(estimates.filter { $0.pool == nil }.map(\.volumeGroup))
        for group in groups {
            let members = estimates.indices.filter { estimates[$0].volumeGroup == group && estimates[$0].pool == nil }
            let needed = members.reduce(UInt64(0)) {
                $0 + max(estimates[$1].configuredBytes ?? 0, estimates[$1].recommendedBytes ?? 0)
            }
            guard let free = members.first.map({ estimates[$0].volumeGroupFreeBytes }), needed > free else { continue }
            for index in members where estimates[index].verdict == .tooSmall { estimates[index].verdict = .noRoom }
        }
    }
}

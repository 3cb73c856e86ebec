import Sizing
import Storage

/// What the snapshot watcher does about one reading of a snapshot's or thin pool's fill, as a
/// pure function of the reading, so every decision is tested from scripted device-mapper
/// statuses (FillPolicyTests) rather than from a real snapshot filling up.
///
/// Classic snapshots: once the fill passes `autoextendThreshold`, or its projection to the end
/// of the copy passes 100%, pgsnap extends the snapshot (by `autoextendPercent` of its size, or
/// more if the projection needs more) as long as its VG has the extents; without them, a
/// projection past 100% aborts early, naming the size needed. Thin pools: past
/// `thinPoolDangerThreshold` of data or metadata the backup fails, so its thin snapshots go
/// before the pool fills and turns the origin read-only.
struct FillPolicy: Sendable, Equatable {
    /// Percent of a classic snapshot's store; 100 turns autoextend off.
    var autoextendThreshold: Double = 70
    /// Percent of the snapshot's current size added per extension.
    var autoextendPercent: Double = 20
    /// Percent of a thin pool's data or metadata.
    var thinPoolDangerThreshold: Double = 90
    /// Headroom over a projection, for extensions and for the size an abort names
    /// (docs/sizing.md: the safety factor).
    static let safetyFactor = SizingEstimator.safetyFactor

    /// One reading of a classic snapshot.
    struct Reading: Sendable, Equatable {
        var status: SnapshotStatus
        var sizeBytes: UInt64
        var volumeGroupFreeBytes: UInt64
        var extentBytes: UInt64
        /// Bytes of the copy done and in all.
        var done: UInt64
        var total: UInt64
        /// Whether the copy ran long enough for a projection (a few watch intervals).
        var projectable: Bool
        /// What the store held when the copy started (sectors, data and metadata): the fill
        /// of the time between creation and copy is not projected over the copy.
        var usedSectorsAtCopyStart: UInt64 = 0
    }

    enum Decision: Sendable, Equatable {
        case keep
        /// Grow the snapshot by this many bytes (whole extents).
        case extend(bytes: UInt64)
        /// The snapshot would overflow before the copy ends and cannot grow: it needs this size.
        case abort(neededBytes: UInt64)
        /// Device-mapper invalidated the snapshot: its data is gone.
        case overflowed
    }

    enum PoolDecision: Sendable, Equatable {
        case keep
        /// Past the danger threshold (data or metadata, in percent).
        case danger(dataPercent: Double, metadataPercent: Double)
        /// Out of space, read-only or failing already.
        case failed
    }

    /// Whether this reading asks for more room (past the threshold or projected past 100%):
    /// only then does the VG's free space matter, so only then is it read.
    func wantsRoom(_ reading: Reading) -> Bool {
        reading.status.percentUsed >= autoextendThreshold || (projection(reading) ?? 0) > 100
    }

    func decide(_ reading: Reading) -> Decision {
        let status = reading.status
        if status.invalid || status.overflow || status.mergeFailed { return .overflowed }
        let projected = projection(reading)
        let needed = projected.map { UInt64(Double(reading.sizeBytes) * $0 / 100 * Self.safetyFactor) }
        let overflows = (projected ?? 0) > 100
        guard wantsRoom(reading) else { return .keep }
        if autoextendThreshold < 100, let bytes = extensionBytes(reading, needed: overflows ? needed : nil) {
            return .extend(bytes: bytes)
        }
        if overflows, let needed { return .abort(neededBytes: needed) }
        return .keep
    }

    /// The fill projected to the end of the copy, in percent of the current size: what the
    /// store took during the copy grows with the origin's writes as the copy does, linearly;
    /// what it took before the copy stays. Nil until there is enough to project from.
    func projection(_ reading: Reading) -> Double? {
        let status = reading.status
        let percent = status.percentUsed
        guard reading.projectable, percent > 5, reading.done > 0, reading.total > reading.done,
            status.totalSectors > 0
        else { return nil }
        let used = Double(status.usedSectors + status.metadataSectors)
        let before = min(Double(reading.usedSectorsAtCopyStart), used)
        let atEnd = before + (used - before) * Double(reading.total) / Double(reading.done)
        return atEnd * 100 / Double(status.totalSectors)
    }

    /// The extension to make: `autoextendPercent` of the size, or up to `needed` if more, in
    /// whole extents; only what the VG has, and nil when that is no extent or less than needed.
    private func extensionBytes(_ reading: Reading, needed: UInt64?) -> UInt64? {
        let extent = max(reading.extentBytes, 1)
        let step = UInt64(Double(reading.sizeBytes) * autoextendPercent / 100)
        let shortfall = needed.map { $0 > reading.sizeBytes ? $0 - reading.sizeBytes : 0 } ?? 0
        let wanted = (max(step, shortfall, 1) + extent - 1) / extent * extent
        let available = reading.volumeGroupFreeBytes / extent * extent
        let granted = min(wanted, available)
        guard granted > 0, granted >= shortfall else { return nil }
        return granted
    }

    func decide(_ status: ThinPoolStatus) -> PoolDecision {
        if status.failing || status.usedDataBlocks >= status.totalDataBlocks { return .failed }
        let data = Self.percent(status.usedDataBlocks, status.totalDataBlocks)
        let metadata = Self.percent(status.usedMetadataBlocks, status.totalMetadataBlocks)
        guard data >= thinPoolDangerThreshold || metadata >= thinPoolDangerThreshold else { return .keep }
        return .danger(dataPercent: data, metadataPercent: metadata)
    }

    private static func percent(_ used: UInt64, _ total: UInt64) -> Double {
        total == 0 ? 100 : Double(used) * 100 / Double(total)
    }
}

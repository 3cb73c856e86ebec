public import Configuration
import Preflight
import Storage
public import TargetLayout

/// `snapshot_size = auto`: each classic snapshot's size, a pure function of what was sampled
/// and recorded (AutoSnapshotSizeTests). The projection is `SizingEstimator`'s (write rate ×
/// snapshot life) or the history's peak copy-on-write use if that was more: a sample of a few
/// seconds can miss the nightly batch the last backups saw. Then the safety factor and room
/// under `snapshot_autoextend_threshold` (a snapshot sized so that it ends the copy at 58% of
/// its size with the default 70: auto-sized snapshots are not meant to need an extension), within
/// `snapshot_size_min`…`snapshot_size_max`, and within the volume group's free space, which
/// its snapshots share in proportion to what they asked for. What still overflows is what
/// pgsnap's autoextend and early abort are for.
public enum AutoSnapshotSize {
    public static func choose(
        _ inputs: [SizingEstimator.Input], minimum: SnapshotSize, maximum: SnapshotSize, autoextendThreshold: Int = 100
    ) -> [String: BackupRecord.SnapshotSizeChoice] {
        let underThreshold = autoextendThreshold < 100 ? 100 / Double(max(autoextendThreshold, 1)) : 1
        var choices: [String: BackupRecord.SnapshotSizeChoice] = [:]
        var origins: [String: LogicalVolume] = [:]
        for input in inputs where input.planned.origin.kind == .classic {
            let origin = input.planned.origin
            origins[origin.path] = origin
            let (rate, life, rateTimesLife) = SizingEstimator.projection(input)
            let peak = input.history?.peakSnapshotBytes
            let projected = max(rateTimesLife, peak ?? 0)
            let recommended = SizingEstimator.recommendedBytes(
                projected: UInt64(min(Double(projected) * underThreshold, Double(UInt64.max / 4))),
                extentBytes: origin.volumeGroupExtentBytes)
            let range = SnapshotPlanner.autoRange(minimum: minimum, maximum: maximum, origin: origin)
            let chosen = min(max(recommended, range.lowerBound), range.upperBound)
            let limit: String? =
                recommended < range.lowerBound ? "minimum" : recommended > range.upperBound ? "maximum" : nil
            choices[origin.path] = BackupRecord.SnapshotSizeChoice(
                bytesPerSecond: rate, sampleSeconds: input.sample.seconds, snapshotLifeSeconds: life,
                lifeSource: input.history == nil ? "measured" : "history", historyPeakBytes: peak,
                projectedBytes: projected, recommendedBytes: recommended, minimumBytes: range.lowerBound,
                maximumBytes: range.upperBound, chosenBytes: chosen, limitedBy: limit)
        }
        shareVolumeGroups(&choices, origins: origins)
        return choices
    }

    /// Where a VG cannot hold every chosen size, each of its snapshots keeps its minimum and
    /// gets a share of the rest in proportion to what it asked for over that minimum, in whole
    /// extents. (Preflight already refused a VG without room for the minimums.)
    static func shareVolumeGroups(
        _ choices: inout [String: BackupRecord.SnapshotSizeChoice], origins: [String: LogicalVolume]
    ) {
        let groups = Dictionary(grouping: origins.values, by: \.volumeGroup)
        for (_, members) in groups {
            guard let first = members.first else { continue }
            let free = first.volumeGroupFreeBytes
            let extent = max(first.volumeGroupExtentBytes, 1)
            let paths = members.map(\.path).sorted()
            let wanted = paths.reduce(UInt64(0)) { $0 + (choices[$1]?.chosenBytes ?? 0) }
            guard wanted > free else { continue }
            let floors = paths.reduce(UInt64(0)) { $0 + (choices[$1]?.minimumBytes ?? 0) }
            let spare = free > floors ? free - floors : 0
            let asked = wanted - floors
            for path in paths {
                guard var choice = choices[path] else { continue }
                let over: UInt64 = choice.chosenBytes - choice.minimumBytes
                let fraction: Double = asked > 0 ? Double(over) / Double(asked) : 0
                let share = UInt64(Double(spare) * fraction)
                let bytes: UInt64 = choice.minimumBytes + share / extent * extent
                if bytes < choice.chosenBytes {
                    choice.chosenBytes = bytes
                    choice.limitedBy = "volume_group"
                }
                choices[path] = choice
            }
        }
    }
}

import ArgumentParser
import Configuration

/// How big each classic snapshot is: read by `check` and `estimate`, which judge the plan,
/// and by `backup`, which carries it out.
struct SnapshotSizeOptions: SettingsGroup {
    @Option(
        name: .customLong("snapshot-size"),
        help:
            "Size of each classic snapshot: a percentage of its origin (20%), a size (10G), or auto (sized by each backup from a sample and the history, docs/sizing.md)."
    )
    var snapshotSize: String?

    @Option(
        name: .customLong("snapshot-size-min"),
        help: "With --snapshot-size auto, the least each classic snapshot gets (256M, or 5%).")
    var snapshotSizeMin: String?

    @Option(
        name: .customLong("snapshot-size-max"),
        help: "With --snapshot-size auto, the most each classic snapshot gets (50% of its origin, or 20G).")
    var snapshotSizeMax: String?

    @Option(
        name: .customLong("snapshot-size-sample"),
        help: "With --snapshot-size auto, seconds of the origins' writes sampled before backup mode (10).")
    var snapshotSizeSample: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.snapshotSize] = snapshotSize
        overrides[.snapshotSizeMin] = snapshotSizeMin
        overrides[.snapshotSizeMax] = snapshotSizeMax
        overrides[.snapshotSizeSample] = snapshotSizeSample
        return overrides
    }
}

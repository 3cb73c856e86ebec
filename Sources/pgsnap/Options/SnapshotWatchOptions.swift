import ArgumentParser
import Configuration

/// How `backup` watches its snapshots during the copy: the fill checks, pgsnap's own
/// autoextend and the thin pools' danger line. Only `backup` reads these.
struct SnapshotWatchOptions: SettingsGroup {
    @Option(name: .customLong("watch-interval"), help: "Seconds between snapshot fill checks (default 2).")
    var watchInterval: String?

    @Option(
        name: .customLong("snapshot-autoextend-threshold"),
        help: "Percent full at which a classic snapshot is extended during the copy, 50-100 (100: off; default 70).")
    var snapshotAutoextendThreshold: String?

    @Option(
        name: .customLong("snapshot-autoextend-percent"),
        help: "Percent of its size an extension adds, 1-500 (default 20).")
    var snapshotAutoextendPercent: String?

    @Option(
        name: .customLong("thin-pool-danger-threshold"),
        help: "Percent of a thin pool's data or metadata at which the backup fails, 50-99 (default 90).")
    var thinPoolDangerThreshold: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.watchInterval] = watchInterval
        overrides[.snapshotAutoextendThreshold] = snapshotAutoextendThreshold
        overrides[.snapshotAutoextendPercent] = snapshotAutoextendPercent
        overrides[.thinPoolDangerThreshold] = thinPoolDangerThreshold
        return overrides
    }
}

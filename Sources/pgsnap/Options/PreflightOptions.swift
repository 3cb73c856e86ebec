import ArgumentParser
import Configuration

/// What `check` examines and `backup` plans from: the server, the snapshots, the WAL archive
/// and the hook directory.
struct PreflightOptions: SettingsGroup {
    @Option(
        name: .long,
        help:
            "libpq connection string, e.g. 'host=/run/postgresql port=5432 user=postgres'. Never put a password here: use ~/.pgpass."
    )
    var conninfo: String?

    @OptionGroup var snapshotMode: SnapshotModeOptions

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

    @Option(name: .customLong("wal-archive"), help: "Take WAL segments from this archive directory instead of pg_wal.")
    var walArchive: String?

    @Option(
        name: .customLong("hook-directory"),
        help: "Directory of hook executables named after backup events (docs/hooks.md).")
    var hookDirectory: String?

    var overrides: [SettingKey: String] {
        var overrides = snapshotMode.overrides
        overrides[.conninfo] = conninfo
        overrides[.snapshotSize] = snapshotSize
        overrides[.snapshotSizeMin] = snapshotSizeMin
        overrides[.snapshotSizeMax] = snapshotSizeMax
        overrides[.snapshotSizeSample] = snapshotSizeSample
        overrides[.walArchive] = walArchive
        overrides[.hookDirectory] = hookDirectory
        return overrides
    }
}

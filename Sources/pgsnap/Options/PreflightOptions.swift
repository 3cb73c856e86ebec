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
        help: "Size of each classic snapshot: a percentage of its origin (20%) or a size (10G).")
    var snapshotSize: String?

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
        overrides[.walArchive] = walArchive
        overrides[.hookDirectory] = hookDirectory
        return overrides
    }
}

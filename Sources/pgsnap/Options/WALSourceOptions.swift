import ArgumentParser
import Configuration

/// Where a backup's WAL comes from: read by `check` (which asks the archiver how it is
/// doing) and by `backup`.
struct WALSourceOptions: SettingsGroup {
    @Option(name: .customLong("wal-archive"), help: "Take WAL segments from this archive directory instead of pg_wal.")
    var walArchive: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.walArchive] = walArchive
        return overrides
    }
}

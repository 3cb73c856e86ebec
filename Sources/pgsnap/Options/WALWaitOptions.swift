import ArgumentParser
import Configuration

/// How long `backup` waits for the server to archive its WAL.
struct WALWaitOptions: SettingsGroup {
    @Option(
        name: .customLong("wal-archive-timeout"),
        help: "Seconds to wait for WAL archiving with --wal-archive before failing (default 60).")
    var walArchiveTimeout: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.walArchiveTimeout] = walArchiveTimeout
        return overrides
    }
}

import ArgumentParser
import Configuration

/// How `archive-get` keeps ahead of recovery. Only `archive-get` reads these.
struct ArchiveGetOptions: SettingsGroup {
    @Option(
        name: .customLong("archive-get-prefetch"),
        help: "WAL segments to fetch ahead into pg_wal/.pgsnap-spool, 0-32 (default 0: off; see docs/wal-archive.md).")
    var archiveGetPrefetch: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.archiveGetPrefetch] = archiveGetPrefetch
        return overrides
    }
}

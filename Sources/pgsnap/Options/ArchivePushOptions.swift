import ArgumentParser
import Configuration

/// How `archive-push` keeps ahead of the server. Only `archive-push` reads these.
struct ArchivePushOptions: SettingsGroup {
    @Option(
        name: .customLong("archive-push-workers"),
        help: "Threads that also push the other .ready WAL files, 1-32 (default 4).")
    var archivePushWorkers: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.archivePushWorkers] = archivePushWorkers
        return overrides
    }
}

import ArgumentParser
import Configuration

/// Where the backups and the run lock are: read by every command.
struct TargetOptions: SettingsGroup {
    @Option(name: .long, help: "Directory where backups live.")
    var target: String?

    @Option(
        name: .customLong("run-directory"),
        help: "Directory for the run lock and snapshot mounts (default /run/pgsnap).")
    var runDirectory: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.target] = target
        overrides[.runDirectory] = runDirectory
        return overrides
    }
}

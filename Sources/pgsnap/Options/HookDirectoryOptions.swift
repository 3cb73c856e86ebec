import ArgumentParser
import Configuration

/// Where the hooks are: read by `check` (which refuses what `backup` would refuse) and by
/// `backup`.
struct HookDirectoryOptions: SettingsGroup {
    @Option(
        name: .customLong("hook-directory"),
        help: "Directory of hook executables named after backup events (docs/hooks.md).")
    var hookDirectory: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.hookDirectory] = hookDirectory
        return overrides
    }
}

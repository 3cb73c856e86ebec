import ArgumentParser
import Configuration

/// How long `backup` lets each hook run.
struct HookTimeoutOptions: SettingsGroup {
    @Option(name: .customLong("hook-timeout"), help: "Seconds a hook may run before it is terminated (default 300).")
    var hookTimeout: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.hookTimeout] = hookTimeout
        return overrides
    }
}

import ArgumentParser
import Configuration

/// A group of flags that override configuration keys. Each subcommand declares only the
/// groups whose settings its code reads, so its `--help` lists those and the argument parser
/// refuses the rest (exit 64); the configuration file may still hold every key, because one
/// file is shared by all commands.
protocol SettingsGroup: ParsableArguments {
    /// The values given on the command line, keyed by the setting they override.
    var overrides: [SettingKey: String] { get }
}

extension SettingsGroup {
    /// The overrides of `groups` together; where two set one key, the earlier wins.
    static func merged(_ groups: [any SettingsGroup]) -> [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        for group in groups {
            overrides.merge(group.overrides) { mine, _ in mine }
        }
        return overrides
    }
}

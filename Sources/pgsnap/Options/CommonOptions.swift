import ArgumentParser
import Configuration

/// The flags of every subcommand: where the configuration, the backups and the run lock are,
/// and how pgsnap speaks. Declared untitled and last by the commands: the target and log
/// flags come under their own headings after the command's own, `--config` and `--json`
/// under OPTIONS.
struct CommonOptions: SettingsGroup {
    @Option(name: .long, help: "Configuration file (default: /etc/pgsnap/pgsnap.conf when it exists).")
    var config: String?

    @OptionGroup(title: HelpSection.target) var targetOptions: TargetOptions
    @OptionGroup(title: HelpSection.log) var logOptions: LogOptions

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    var overrides: [SettingKey: String] {
        var overrides = Self.merged([targetOptions, logOptions])
        if json { overrides[.json] = "on" }
        return overrides
    }

    /// Merges defaults, the configuration file, these flags and those of `groups`.
    func resolve(_ groups: [any SettingsGroup]) throws(ConfigurationError) -> Settings {
        let file: ConfigFile?
        if let config {
            file = try ConfigFile.load(path: config)
        } else {
            // The default file is optional: a missing one means defaults and flags only, but one
            // that exists and is broken is reported.
            do {
                file = try ConfigFile.load(path: Settings.defaultPath)
            } catch .fileNotFound {
                file = nil
            }
        }
        return try Settings.resolve(file: file, overrides: Self.merged([self] + groups))
    }
}

import ArgumentParser
import Configuration

/// The flags of every subcommand: where the configuration, the backups and the run lock are,
/// and how pgsnap speaks.
struct CommonOptions: SettingsGroup {
    @Option(name: .long, help: "Configuration file (default: /etc/pgsnap/pgsnap.conf when it exists).")
    var config: String?

    @Option(name: .long, help: "Directory where backups live.")
    var target: String?

    @Option(
        name: .customLong("run-directory"),
        help: "Directory for the run lock and snapshot mounts (default /run/pgsnap).")
    var runDirectory: String?

    @Option(name: .customLong("log-level"), help: "debug, info, warning or error.")
    var logLevel: String?

    @Option(
        name: .customLong("log-destination"),
        help: "stderr (default; the journal under systemd), syslog, or file (with --log-file).")
    var logDestination: String?

    @Option(name: .customLong("log-file"), help: "With --log-destination file, the file the log is appended to (0600).")
    var logFile: String?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.target] = target
        overrides[.runDirectory] = runDirectory
        overrides[.logLevel] = logLevel
        overrides[.logDestination] = logDestination
        overrides[.logFile] = logFile
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
        var overrides = self.overrides
        for group in groups {
            overrides.merge(group.overrides) { mine, _ in mine }
        }
        return try Settings.resolve(file: file, overrides: overrides)
    }
}

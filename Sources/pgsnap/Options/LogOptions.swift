import ArgumentParser
import Configuration

/// How much pgsnap logs and where: read by every command.
struct LogOptions: SettingsGroup {
    @Option(name: .customLong("log-level"), help: "debug, info, warning or error.")
    var logLevel: String?

    @Option(
        name: .customLong("log-destination"),
        help: "stderr (default; the journal under systemd), syslog, or file (with --log-file).")
    var logDestination: String?

    @Option(name: .customLong("log-file"), help: "With --log-destination file, the file the log is appended to (0600).")
    var logFile: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.logLevel] = logLevel
        overrides[.logDestination] = logDestination
        overrides[.logFile] = logFile
        return overrides
    }
}

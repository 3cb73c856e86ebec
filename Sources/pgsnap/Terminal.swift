import ArgumentParser
import Configuration
import ExitStatus
import Foundation
import Logging
import Metrics

/// How the executable speaks: JSON on stdout for scripts, one-line errors on stderr for people.
enum Terminal {
    static func printJSON(_ value: some Encodable) {
        guard let text = JSONOutput.render(value) else { return }
        print(text)
    }

    /// Runs a subcommand's `body` with the settings merged from the configuration file,
    /// `common` and `groups`: the one way every subcommand starts, so that every failure,
    /// from the configuration to the work itself, ends in `fail`.
    /// With `metrics`, the run is reported in `metrics_file` once it has ended, before its
    /// error line (a configuration that does not resolve names no metrics file to write).
    static func run(
        _ common: CommonOptions, _ groups: [any SettingsGroup] = [], metrics: MetricsCommand? = nil,
        _ body: (Settings) throws -> Void
    ) throws {
        let settings: Settings
        do {
            settings = try common.resolve(groups)
        } catch {
            try fail(error, json: common.json)
        }
        let started = Date()
        do {
            try body(settings)
        } catch {
            MetricsReporting.record(
                metrics, settings, started: started, exitStatus: MetricsReporting.exitStatus(of: error))
            try fail(error, json: settings.json)
        }
        MetricsReporting.record(metrics, settings, started: started, exitStatus: 0)
    }

    /// The one place an error becomes what people and scripts see: its line on stderr (and,
    /// with `json`, its JSON object on stdout), then its documented exit status. An error no
    /// module classified is an internal error (exit 1); the argument parser's own exits
    /// (`ExitCode`, help) pass through unchanged.
    static func fail(_ error: any Error, json: Bool) throws -> Never {
        if error is ExitCode || error is CleanExit { throw error }
        let reported = (error as? any PgsnapError) ?? InternalError(error)
        if json { printJSON(ErrorOutput(reported)) }
        printLine(reported.description)
        throw ExitCode(reported.exitStatus.rawValue)
    }

    /// The one shape of pgsnap's own stderr lines, outside the log: `pgsnap: ` and the message
    /// escaped and bounded (Echo.line), with the journal's priority under systemd.
    static func printLine(_ message: String, priority: Int32 = LOG_ERR) {
        let line = JournalStream.line("pgsnap: \(Echo.line(message))\n", priority: priority)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A sink that redraws one status line on stderr, or nil when nobody watches (stderr is not
    /// a terminal: cron, scripts, tests) or JSON was asked for.
    static func progressSink(_ settings: Settings) -> (@Sendable (String) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 && !settings.json else { return nil }
        return { line in FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
    }

    /// Erases the status line a progress sink drew, before the summary is printed.
    static func clearProgressLine() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// A logger writing to stderr at the configured level.
    static func logger(_ settings: Settings) -> Logger {
        let level: Logger.Level
        switch settings.logLevel {
        case .debug: level = .debug
        case .info: level = .info
        case .warning: level = .warning
        case .error: level = .error
        }
        switch settings.logDestination {
        case .stderr:
            return Logger(label: "pgsnap") { _ in StderrLogHandler(logLevel: level) }
        case .syslog:
            return Logger(label: "pgsnap") { _ in SyslogLogHandler(logLevel: level) }
        case .file:
            // Resolving refused `file` without `log_file`. A file that cannot be opened is said
            // once on stderr, and the log goes there instead of nowhere.
            let opened = FileLogHandler.open(path: settings.logFile ?? "", level: level)
            if let handler = opened.handler { return Logger(label: "pgsnap") { _ in handler } }
            let path = Echo.line(settings.logFile ?? "")
            printLine("cannot append to log_file \(path): \(opened.reason); logging to stderr", priority: LOG_WARNING)
            return Logger(label: "pgsnap") { _ in StderrLogHandler(logLevel: level) }
        }
    }
}

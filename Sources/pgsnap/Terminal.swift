import ArgumentParser
import Configuration
import ExitStatus
import Foundation
import Logging

/// How the executable speaks: JSON on stdout for scripts, one-line errors on stderr for people.
enum Terminal {
    static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return }
        print(text)
    }

    /// Prints `error` as one line (or a JSON object) and exits with its documented status.
    static func fail(_ error: any PgsnapError, json: Bool) throws -> Never {
        if json { printJSON(ErrorOutput(error)) }
        FileHandle.standardError.write(Data("pgsnap: \(Echo.line(error.description))\n".utf8))
        throw ExitCode(error.exitStatus.rawValue)
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
        return Logger(label: "pgsnap") { _ in StderrLogHandler(logLevel: level) }
    }
}

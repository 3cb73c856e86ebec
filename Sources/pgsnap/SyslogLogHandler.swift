import ExitStatus
import Foundation
import Logging

/// `log_destination = syslog`: each record through syslog(3) as facility daemon, ident
/// `pgsnap`, with the process ID; the message escaped as on stderr and passed as a `%s`
/// argument, never as the format.
struct SyslogLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    /// openlog keeps the ident pointer: a static C string that lives as long as the process.
    nonisolated(unsafe) private static let ident = strdup("pgsnap")

    init(logLevel: Logger.Level) {
        self.logLevel = logLevel
        openlog(Self.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let priority = JournalStream.priority(event.level)
        (LogRunTag.prefix + Echo.line(event.message.description)).withCString { message in
            withVaList([message]) { vsyslog(priority, "%s", $0) }
        }
    }
}

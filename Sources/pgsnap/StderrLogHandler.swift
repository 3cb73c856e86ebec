import ExitStatus
import Foundation
import Logging

/// A swift-log handler writing one line per record to stderr in the shape pgBackRest users
/// know from their 3 a.m. logs: `2026-11-24 03:15:00.123 P12345    INFO: message`, with the
/// backup's ID after the process ID once the run has one (`P12345 20261124T031500Z INFO: …`).
/// Under systemd each line also carries its priority for the journal (JournalStream).
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = JournalStream.line(Self.format(event), priority: JournalStream.priority(event.level))
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// One line: time, process ID, the backup ID if any, level, the message escaped (Echo.line), newline.
    static func format(_ event: LogEvent) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSS"
        let name = event.level.rawValue.uppercased()
        let padding = String(repeating: " ", count: max(0, 8 - name.count))
        return
            "\(formatter.string(from: Date())) P\(getpid()) \(LogRunTag.prefix)\(padding)\(name): \(Echo.line(event.message.description))\n"
    }
}

import ExitStatus
import Foundation
import Logging
import SystemCalls

/// `log_destination = file`: the stderr handler's lines appended to `log_file`, opened once
/// with O_APPEND (so that logrotate's copytruncate and several runs interleave whole lines),
/// created 0600 (a log names paths and volumes of the host).
struct FileLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let descriptor: Int32

    /// The handler, or nil and why the file cannot be opened for appending.
    static func open(path: String, level: Logger.Level) -> (handler: FileLogHandler?, reason: String) {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return (nil, Errno.current.description) }
        return (FileLogHandler(logLevel: level, descriptor: descriptor), "")
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = StderrLogHandler.format(event)
        line.utf8CString.withUnsafeBufferPointer { buffer in
            // One write per line: O_APPEND keeps concurrent writers' lines whole.
            _ = Glibc.write(descriptor, buffer.baseAddress, buffer.count - 1)
        }
    }
}

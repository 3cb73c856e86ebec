import Foundation
import Logging

/// Whether stderr is systemd's journal, and the priority prefix journald reads there. systemd
/// sets `JOURNAL_STREAM=<device>:<inode>` for a unit whose stderr it connects to the journal;
/// a line that starts with `<N>` (sd-daemon(3), `SyslogLevelPrefix=` on by default) is stored
/// with priority N, so `journalctl -u pgsnap-backup -p warning` shows pgsnap's warnings and
/// errors and nothing else. The device and inode are compared with stderr's own, as
/// systemd.exec(5) says: a child whose stderr was redirected inherits the variable but writes
/// elsewhere, and gets no prefix.
enum JournalStream {
    static let isStandardError: Bool = {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        return matches(value, descriptor: STDERR_FILENO)
    }()

    /// `value` ("device:inode", decimal) names the file open on `descriptor`.
    static func matches(_ value: String, descriptor: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count <= 20 }), let device = UInt64(parts[0]),
            let inode = UInt64(parts[1])
        else { return false }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// syslog(3)'s priority of a log level, for journald's prefix and for syslog itself.
    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }

    /// `line` as written to stderr: with the journal's `<N>` prefix when stderr is the journal.
    static func line(_ line: String, priority: Int32) -> String {
        isStandardError ? "<\(priority)>" + line : line
    }
}

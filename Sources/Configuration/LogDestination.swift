/// Where pgsnap's log lines go (`log_destination`). The one-line error of a failed run and
/// the summary always go to stderr and stdout as well, whatever this says: cron mails them and
/// systemd records them.
public enum LogDestination: String, Sendable, CaseIterable {
    /// pgBackRest-shaped lines on stderr (under systemd: the journal).
    case stderr
    /// syslog(3), facility daemon, ident `pgsnap`, with the process ID.
    case syslog
    /// Appended to `log_file` (created 0600), in the same shape as stderr.
    case file
}

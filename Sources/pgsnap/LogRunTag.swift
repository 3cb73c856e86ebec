import Synchronization

/// The backup a process's log lines are about, once it has an ID: every line a backup (or a
/// freeze holder) logs after choosing its ID carries it, so that lines of overlapping runs
/// in one journal or file (a nightly backup next to a hook's freeze, or a retried run) can be
/// told apart at 3 a.m. Process-wide, since each process runs one backup at most and the
/// loggers are made before the ID exists.
enum LogRunTag {
    private static let current = Mutex<String?>(nil)

    static var backupID: String? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// `<id> ` for a line's prefix, empty before an ID exists.
    static var prefix: String {
        backupID.map { $0 + " " } ?? ""
    }
}

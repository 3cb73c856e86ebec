public import Configuration
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// The exclusive run lock: one pgsnap run per host at a time, so a cron overlap cannot start a
/// second backup, and leftover cleanup never removes the snapshots of a run still in progress.
///
/// flock(2) on a file: the kernel releases it when the process dies, even by SIGKILL, so a stale
/// lock never blocks the next run.
public final class RunLock {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock or throws `lockBusy` at once; never waits.
    public init(path: String) throws(BackupError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupError(
                code: .runDirectory, detail: "cannot open the lock file \(path)",
                underlying: Errno.current.description)
        }
        let status = SystemCall.retrying { flock(descriptor, LOCK_EX | LOCK_NB) }
        guard status == 0 else {
            let reason = errno == EWOULDBLOCK ? "another pgsnap run holds \(path)" : Errno.current.description
            close(descriptor)
            throw BackupError(code: .lockBusy, detail: reason)
        }
        // The holder's pid, for a person looking at the file; the lock itself is the flock.
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
        self.path = path
    }

    /// The lock of `settings`' run directory, creating that directory (mode 0700) first: what
    /// every run that changes the target or the storage takes (backup, cleanup, prune).
    public static func take(_ settings: Settings) throws(BackupError) -> RunLock {
        if mkdir(settings.runDirectory, 0o700) != 0 && errno != EEXIST {
            throw BackupError(
                code: .runDirectory, detail: "cannot create \(settings.runDirectory)",
                underlying: Errno.current.description)
        }
        return try RunLock(path: settings.lockPath)
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        close(descriptor)
    }
}

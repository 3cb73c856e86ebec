/// The process exit codes pgsnap documents in docs/exit-codes.md.
///
/// Scripts and monitoring branch on these numbers, so a value never changes meaning once
/// released; new kinds of failure get new numbers.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything asked for was done (for `check`: a backup can run).
    case success = 0
    /// An unexpected internal failure; the message says what, and it is a bug worth reporting.
    case internalError = 1
    /// The configuration file or flags are missing, malformed or contradictory.
    case configuration = 3
    /// PostgreSQL is unreachable, refused the login, or the role or settings don't allow a backup.
    case postgres = 4
    /// A path is not on LVM, device-mapper or LVM failed, or a volume group lacks free space.
    case storage = 5
    /// The backup target is missing, not writable, too small or on a volume that gets snapshotted.
    case target = 6
    /// Another pgsnap run holds the lock.
    case lockBusy = 7
    /// SIGINT, SIGTERM or SIGHUP ended the run after teardown.
    case interrupted = 8
    /// The backup is missing, incomplete or damaged: `verify` found problems, or `restore` met a
    /// truncated, corrupt or hostile archive and stopped.
    case damaged = 9
    /// The restore destination was refused: not empty (without `--overwrite`), a server is
    /// running there, or it cannot be created or given to the cluster's owner.
    case restoreDestination = 10
    /// A hook refused the run: a `pre-*` hook exited non-zero, timed out or could not start
    /// (docs/hooks.md). Teardown ran; `post-*` hook failures never produce this code.
    case hook = 11
    /// `estimate`: a snapshot is expected to be too small for the next backup, its VG has no
    /// room for what it needs, or a thin pool would pass its danger threshold (docs/sizing.md).
    case sizing = 12
    /// `thaw` or `freeze --status` found no freeze held: none was taken, the watchdog ended it
    /// (`freeze_timeout`), or its holder died (docs/storage-hooks.md).
    case notFrozen = 13
    /// `archive-push` refused a file: different content is already archived under its name, it
    /// is another cluster's WAL, or its header contradicts its name (docs/wal-archive.md).
    case walConflict = 14
    /// `archive-get`: the file is not in the WAL archive (normal at the archive's end; silent).
    case walNotArchived = 15
    /// Command-line usage error (unknown flag, bad value); the same code ArgumentParser uses.
    case usage = 64
}

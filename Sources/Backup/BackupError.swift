public import ExitStatus

/// A failure of the backup flow itself (as opposed to one of its boundaries, whose errors
/// pass through unchanged).
public struct BackupError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// Another run holds the lock.
        case lockBusy = "lock_busy"
        /// The run directory (lock, mount root) is unusable.
        case runDirectory = "run_directory"
        /// `check` found problems; the backup did not touch anything.
        case notReady = "not_ready"
        /// A signal ended the run.
        case interrupted
        /// A snapshot overflowed, was invalidated, or would fill before the copy ends.
        case snapshotOverflow = "snapshot_overflow"
        /// A snapshot did not hold what it should (PG_VERSION, the tablespace's directory).
        case unexpectedSnapshotContents = "unexpected_snapshot_contents"
        /// Writing the backup to the target failed.
        case target
        /// WAL needed for consistency is missing.
        case walMissing = "wal_missing"
        /// `pg_backup_stop` waited longer than `wal_archive_timeout` for WAL archiving.
        case archiveTimeout = "archive_timeout"
    }

    public let code: Code
    public let detail: String
    public let underlying: String?
    /// The exit status of the stage that failed, for `notReady`.
    public let status: ExitStatus?

    public init(code: Code, detail: String, underlying: String? = nil, status: ExitStatus? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
        self.status = status
    }

    public var exitStatus: ExitStatus {
        if let status { return status }
        switch code {
        case .lockBusy: return .lockBusy
        case .runDirectory: return .configuration
        case .notReady: return .internalError
        case .interrupted: return .interrupted
        case .snapshotOverflow, .unexpectedSnapshotContents: return .storage
        case .target: return .target
        case .walMissing, .archiveTimeout: return .postgres
        }
    }

    public var hint: String {
        switch code {
        case .lockBusy: return "wait for it to finish; pgsnap never runs twice at once"
        case .runDirectory: return "pgsnap needs root and a writable run directory (run_directory)"
        case .notReady: return "run 'pgsnap check' for details"
        case .interrupted: return "teardown finished; the target keeps only a record of the failed run"
        case .snapshotOverflow: return "raise snapshot_size (docs/sizing.md) or back up at a quieter time"
        case .unexpectedSnapshotContents: return "check that the volumes pgsnap found are the cluster's"
        case .target: return "check the target's free space and permissions"
        case .walMissing: return "the server recycled WAL the backup needs; check wal_keep_size and the slot"
        case .archiveTimeout:
            return "fix archive_command (the server log says why it fails), or raise wal_archive_timeout if archiving is only slow"
        }
    }
}

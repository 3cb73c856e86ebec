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
        /// A thin pool passed `thin_pool_danger_threshold` during the copy: the backup failed so
        /// that its thin snapshots go before the pool fills.
        case thinPoolDanger = "thin_pool_danger"
        /// A snapshot did not hold what it should (PG_VERSION, the tablespace's directory).
        case unexpectedSnapshotContents = "unexpected_snapshot_contents"
        /// Writing the backup to the target failed.
        case target
        /// WAL needed for consistency is missing.
        case walMissing = "wal_missing"
        /// A WAL segment the backup needs is not in `wal_archive`, where pgsnap was told
        /// `archive_command` puts it.
        case walNotInArchive = "wal_not_in_archive"
        /// A file the run wrote into `<id>.partial` was removed, replaced or changed before the
        /// commit: nothing is committed.
        case archiveChanged = "archive_changed"
        /// `pg_backup_stop` waited longer than `wal_archive_timeout` for WAL archiving.
        case archiveTimeout = "archive_timeout"
    }

    public let code: Code
    public let detail: String
    public let underlying: String?
    /// The exit status of the stage that failed, for `notReady`.
    public let status: ExitStatus?
    /// The hint of the problem that stopped the run, for `notReady`: it fits the cause better
    /// than a generic one (a missing role, a full target).
    public let problemHint: String?

    public init(
        code: Code, detail: String, underlying: String? = nil, status: ExitStatus? = nil,
        problemHint: String? = nil
    ) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
        self.status = status
        self.problemHint = problemHint
    }

    public var exitStatus: ExitStatus {
        if let status { return status }
        switch code {
        case .lockBusy: return .lockBusy
        case .runDirectory: return .configuration
        case .notReady: return .internalError
        case .interrupted: return .interrupted
        case .snapshotOverflow, .thinPoolDanger, .unexpectedSnapshotContents: return .storage
        case .target, .archiveChanged: return .target
        case .walMissing, .walNotInArchive, .archiveTimeout: return .postgres
        }
    }

    public var hint: String {
        if let problemHint, !problemHint.isEmpty { return problemHint }
        switch code {
        case .lockBusy: return "wait for it to finish; pgsnap never runs twice at once"
        case .runDirectory: return "pgsnap needs root and a writable run directory (run_directory)"
        case .notReady: return "run 'pgsnap check' for details"
        case .interrupted: return "teardown finished: no snapshot, mount or backup mode is left; run the backup again"
        case .snapshotOverflow: return "raise snapshot_size (docs/sizing.md) or back up at a quieter time"
        case .thinPoolDanger:
            return "extend the thin pool (lvextend) or back up at a quieter time; the origin stayed writable"
        case .unexpectedSnapshotContents: return "check that the volumes pgsnap found are the cluster's"
        case .target: return "check the target's free space and permissions"
        case .archiveChanged:
            return "something besides pgsnap changes the target's backups: stop it, then run the backup again"
        case .walMissing: return "the server recycled WAL the backup needs; check wal_keep_size and the slot"
        case .walNotInArchive:
            return
                "check that wal_archive is the directory archive_command writes to (SHOW archive_command) and that pg_stat_archiver shows no failures"
        case .archiveTimeout:
            return
                "fix archive_command (the server log says why it fails), or raise wal_archive_timeout if archiving is only slow"
        }
    }
}

extension BackupError {
    /// `backup.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("backup", caseName: code.rawValue) }
}

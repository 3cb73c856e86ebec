/// The stages of one backup, in the order they run (docs/backup.md). Each is one short method
/// of `BackupRun` over the `BackupContext`; what a stage creates it pushes to the run's
/// `Teardown` at once.
enum BackupStage: String, CaseIterable, Sendable {
    /// `hook_directory` checked, the run lock, the backup ID, `pre-backup`.
    case lock
    /// What crashed runs left behind: pgsnap's mounts, tagged snapshots, partial directories.
    case leftovers
    /// `pgsnap check`'s analysis, the target bound to the cluster.
    case plan
    /// Backup mode on one session, WAL reserved by a temporary slot.
    case start
    /// The snapshots, between `pre-snapshot` and `post-snapshot`.
    case snapshot
    /// Backup mode ends as soon as the snapshots exist (without snapshots: during `stream`).
    case stop
    /// Every snapshot mounted read-only and checked.
    case mount
    /// Every volume into its own archive in `<id>.partial`, the snapshots watched meanwhile.
    case stream
    /// The WAL of the backup window, then the slot goes.
    case wal
    /// backup_manifest over every archived file.
    case manifest
    /// backup.json, everything synced and proven, the rename into place.
    case commit
    /// `keep_last`/`keep_days`, still under the lock; a failure is only a warning.
    case retention
}

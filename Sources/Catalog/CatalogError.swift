public import ExitStatus

/// Why the catalog of a target could not be read or changed. Each case names the target, the
/// backup or the path involved, so the one-line message is enough to act on.
public enum CatalogError: PgsnapError, Equatable {
    /// No `target` is configured, so there is no catalog to read.
    case noTarget
    /// The target or one of its entries cannot be listed or read; carries `strerror` text.
    case unreadable(path: String, reason: String)
    /// No backup with this ID exists in the target.
    case unknownBackup(id: String, target: String)
    /// The backup exists but is not complete (failed, partial, running or incomplete).
    case notComplete(id: String, status: String, error: String?)
    /// `latest` was asked for, but the target holds no complete backup.
    case noCompleteBackup(target: String)
    /// `prune` was run with neither `keep_last` nor `keep_days`.
    case noRetentionRule
    /// Removing a backup directory failed half-way; carries `strerror` text.
    case removalFailed(path: String, reason: String)
    /// `pgsnap.target` exists but is not a binding pgsnap wrote.
    case badBinding(path: String)
    /// `pgsnap.target` could not be written; carries `strerror` text.
    case bindingFailed(path: String, reason: String)
    /// The target belongs to cluster `owner`; a backup of `cluster` is refused.
    case otherCluster(target: String, owner: String, cluster: String)
    /// The target has no binding and holds complete backups of several clusters.
    case mixedClusters(target: String, systemIdentifiers: [String])
    /// A backup of another cluster than the one the target is bound to.
    case foreignBackup(id: String, systemIdentifier: String, owner: String)

    public var exitStatus: ExitStatus {
        switch self {
        case .noTarget, .noRetentionRule: return .configuration
        case .unreadable, .removalFailed, .badBinding, .bindingFailed, .otherCluster, .mixedClusters: return .target
        case .unknownBackup, .notComplete, .noCompleteBackup, .foreignBackup: return .damaged
        }
    }

    public var message: String {
        switch self {
        case .noTarget:
            return "no value for 'target' (set it in the configuration file or with --target)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .unknownBackup(let id, let target):
            return "no backup \(id) in \(target)"
        case .notComplete(let id, let status, let error):
            return "backup \(id) is \(status), not complete" + (error.map { ": \($0)" } ?? "")
        case .noCompleteBackup(let target):
            return "no complete backup in \(target)"
        case .noRetentionRule:
            return "no retention rule: set keep_last or keep_days (--keep-last N, --keep-days D)"
        case .removalFailed(let path, let reason):
            return "cannot remove \(path): \(reason)"
        case .badBinding(let path):
            return "\(path) is not a pgsnap target binding (not a small JSON object with a system_identifier)"
        case .bindingFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .otherCluster(let target, let owner, let cluster):
            return "backup target \(target) holds the backups of cluster \(owner), not of this server's cluster "
                + "\(cluster): use another target for this cluster"
        case .mixedClusters(let target, let identifiers):
            return "backup target \(target) holds complete backups of several clusters ("
                + identifiers.joined(separator: ", ") + ") and is bound to none"
        case .foreignBackup(let id, let identifier, let owner):
            return "backup \(id) is of cluster \(identifier), not of cluster \(owner) this target is bound to"
        }
    }

    public var hint: String {
        switch self {
        case .noTarget: return "docs/configuration.md describes it"
        case .unreadable: return "pgsnap needs read access to the target (run it as the user that takes backups)"
        case .unknownBackup, .noCompleteBackup: return "'pgsnap list' shows the backups in the target"
        case .notComplete: return "only complete backups can be used; 'pgsnap list' shows their status"
        case .noRetentionRule: return "docs/retention.md explains the rules"
        case .removalFailed: return "check the target's permissions; the next prune finishes the removal"
        case .badBinding:
            return "restore the file from the target's first backup host, or move it aside (docs/target.md)"
        case .bindingFailed: return "check the target's free space and permissions"
        case .otherCluster: return "a target holds one cluster's backups (docs/target.md)"
        case .mixedClusters:
            return "move each other cluster's backups to a target of its own, then run pgsnap again (docs/target.md)"
        case .foreignBackup: return "use that cluster's own target; 'pgsnap list' marks such backups foreign"
        }
    }
}

extension CatalogError {
    /// `catalog.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode {
        switch self {
        case .noTarget: ErrorCode("catalog", "no_target")
        case .unreadable: ErrorCode("catalog", "unreadable")
        case .unknownBackup: ErrorCode("catalog", "unknown_backup")
        case .notComplete: ErrorCode("catalog", "not_complete")
        case .noCompleteBackup: ErrorCode("catalog", "no_complete_backup")
        case .noRetentionRule: ErrorCode("catalog", "no_retention_rule")
        case .removalFailed: ErrorCode("catalog", "removal_failed")
        case .badBinding: ErrorCode("catalog", "bad_binding")
        case .bindingFailed: ErrorCode("catalog", "binding_failed")
        case .otherCluster: ErrorCode("catalog", "other_cluster")
        case .mixedClusters: ErrorCode("catalog", "mixed_clusters")
        case .foreignBackup: ErrorCode("catalog", "foreign_backup")
        }
    }
}

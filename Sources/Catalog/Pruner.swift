public import Foundation
import SystemCalls

/// Applies a retention policy to a catalog: plan first, then remove.
public enum Pruner {
    /// Complete backups outside every rule go (never the newest one); running runs stay;
    /// failed, partial and incomplete runs older than the newest complete backup go, because
    /// a newer good backup makes them useless, while newer ones stay as evidence of what
    /// happened since. A damaged backup (its record fails its checksum) is never counted as a
    /// complete one: it is such evidence too. Another cluster's backups are never this target's to remove; a target
    /// holding several clusters' backups without a binding is refused.
    public static func plan(_ catalog: BackupCatalog, policy: RetentionPolicy, now: Date) throws(CatalogError)
        -> PrunePlan
    {
        try catalog.requireOneCluster()
        let newestComplete = catalog.latestComplete?.id
        var removed: [CatalogEntry] = []
        var kept: [CatalogEntry] = []
        var completeRank = 0
        for entry in catalog.entries {
            let keep: Bool
            switch entry.status {
            case .complete:
                keep = policy.keeps(rank: completeRank, start: entry.startTime, now: now)
                completeRank += 1
            case .running, .foreign:
                keep = true
            case .failed, .partial, .incomplete, .damaged:
                keep = newestComplete.map { entry.id >= $0 } ?? true
            }
            if keep { kept.append(entry) } else { removed.append(entry) }
        }
        return PrunePlan(
            removed: removed, kept: kept, interruptedRemovals: catalog.interruptedRemovals,
            expiredWAL: try WALRetention.plan(target: catalog.target, kept: kept))
    }

    /// Removes what `plan` says, each directory renamed to `<id>.removing` first so a
    /// half-deleted backup never looks complete (nor like any run), then deleted, then the
    /// target synced. Stops at the first failure; the next prune finishes a `.removing` left.
    public static func apply(_ plan: PrunePlan, target: String, log: (String) -> Void) throws(CatalogError) {
        for path in plan.interruptedRemovals {
            log("finishing the interrupted removal of \(path)")
            try TargetFiles.removeTree(path)
        }
        for entry in plan.removed {
            let removing = target + "/" + entry.id + ".removing"
            guard rename(entry.path, removing) == 0 else {
                throw .removalFailed(path: entry.path, reason: Errno.current.description)
            }
            try TargetFiles.syncDirectory(target)
            try TargetFiles.removeTree(removing)
            try TargetFiles.syncDirectory(target)
            log("removed \(entry.status.rawValue) backup \(entry.id)")
        }
        // Only once the backups are gone: a failed removal above keeps their WAL too.
        WALRetention.apply(plan.expiredWAL ?? [], target: target, log: log)
    }
}

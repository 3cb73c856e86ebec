import Catalog
import ExitStatus
import Foundation
import TargetLayout

extension BackupRun {
    /// The retention stage, when `keep_last` or `keep_days` is set, still under the run lock so no
    /// other run can start meanwhile. A failure here is a warning, not a failed backup: the new
    /// backup is complete and durable, and failing the run would make a cron job report a
    /// missing backup that exists; the next backup or `pgsnap prune` retries.
    func applyRetention(after record: BackupRecord) {
        guard let target = settings.target,
            let policy = RetentionPolicy(keepLast: settings.keepLast, keepDays: settings.keepDays)
        else { return }
        do throws(CatalogError) {
            // We hold the run lock, so no partial directory can be a run in progress.
            let catalog = try BackupCatalog(target: target, lockPath: nil)
            let plan = try Pruner.plan(catalog, policy: policy, now: environment.clock())
            try Pruner.apply(plan, target: target) { log("retention: \($0)") }
        } catch {
            let warning = "retention after backup \(record.id) failed: \(error.message); the backup is complete"
            (onWarning ?? log)(warning)
        }
    }
}

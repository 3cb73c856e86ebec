import Backup
import Catalog
import Configuration
import Preflight

/// What `check` adds to Preflight's analysis about the next run in particular. These live
/// here because Preflight cannot reach them from its place in the module graph (the run lock
/// and the catalog are Catalog's, the hook rules Backup's), and because a backup must not ask
/// them of itself: it holds the lock, and checks its hooks before it takes it.
enum NextBackupChecks {
    static func problems(settings: Settings, report: CheckReport) -> [Problem] {
        [hookDirectory(settings), runLock(settings), targetSpace(settings, report)].compactMap { $0 }
    }

    /// The exact checks `backup` runs on `hook_directory` before it does anything.
    private static func hookDirectory(_ settings: Settings) -> Problem? {
        guard let path = settings.hookDirectory else { return nil }
        do {
            _ = try HookDirectory(path: path, warn: { _ in })
            return nil
        } catch {
            return Problem(code: "hook_directory", error)
        }
    }

    /// A run in progress now: the next one would leave at once (exit 7). Probed without taking
    /// the lock, so `check` never blocks a backup starting at the same moment.
    private static func runLock(_ settings: Settings) -> Problem? {
        let path = settings.runDirectory + "/pgsnap.lock"
        guard RunLockProbe.isHeld(path) else { return nil }
        return Problem(
            code: "run_lock_held", message: "another pgsnap run holds the run lock \(path)",
            hint: "wait for it to finish (pgsnap list shows it as running); pgsnap never runs twice at once",
            exitStatus: .lockBusy)
    }

    /// The last complete backup in the target (the target holds one cluster's backups).
    private static func targetSpace(_ settings: Settings, _ report: CheckReport) -> Problem? {
        guard let target = report.target, target.exists else { return nil }
        let latest = (try? BackupCatalog(target: target.path, lockPath: nil))?.latestComplete
        let last = latest.map {
            TargetSpace.LastBackup(id: $0.id, bytesRead: $0.record?.bytesRead, bytesWritten: $0.record?.bytesWritten)
        }
        return TargetSpace.problem(target: target, last: last, databaseBytes: report.server?.databaseBytes)
    }
}

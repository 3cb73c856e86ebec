import Foundation
import TargetLayout

/// Where the stages meet the hooks of `hook_directory` (docs/hooks.md).
extension BackupRun {
    /// Polled by `pre-*` hooks: a signal ends them, since the run is going to stop anyway.
    var interrupted: @Sendable () -> Bool {
        let stop = environment.stop
        return { stop.isStopped }
    }

    /// Checks `hook_directory` and every hook in it before the lock is even taken, so an unsafe
    /// hook stops the run (exit 3) before anything happens. `PGSNAP_BACKUP_ID` follows once the
    /// ID is chosen under the lock.
    func openHooks() throws {
        var context = [
            "PGSNAP_SNAPSHOT_MODE": settings.snapshot.rawValue,
            "PGSNAP_VERSION": pgsnapVersion,
        ]
        context["PGSNAP_TARGET"] = settings.target
        hooks = try BackupHooks(
            directory: settings.hookDirectory, timeout: Double(settings.hookTimeout),
            runner: environment.hookRunner, context: context, log: log,
            warn: onWarning ?? log)
    }

    /// What the plan found, for the hooks still to come: never the conninfo (it may hold a
    /// password), only paths and volume names.
    func describeToHooks(_ plan: BackupPlan) {
        hooks?.set("PGSNAP_DATA_DIRECTORY", plan.report.server?.dataDirectory)
        let volumes = plan.volumes.map { "\($0.snapshot.origin.volumeGroup)/\($0.snapshot.origin.name)" }
        hooks?.set("PGSNAP_VOLUMES", volumes.isEmpty ? nil : volumes.joined(separator: " "))
    }

    /// The snapshot stage: the snapshots, between `pre-snapshot` (the freeze point) and `post-snapshot` (the
    /// thaw point), which runs whenever `pre-snapshot`'s turn came: after the snapshots exist,
    /// or after their creation or `pre-snapshot` itself failed. Without snapshots
    /// (`snapshot = none`) neither event happens: there is no instant to freeze for.
    func createSnapshotsBetweenHooks(_ plan: BackupPlan) throws {
        guard !plan.volumes.isEmpty, let hooks else { return try createSnapshots(plan) }
        do {
            try hooks.pre(.preSnapshot, stop: interrupted)
            try createSnapshots(plan)
        } catch {
            let failure = Failure(error, stop: environment.stop)
            hooks.post(.postSnapshot, failure: (failure.message, failure.exitStatus), extra: snapshotVariables())
            throw error
        }
        hooks.post(.postSnapshot, failure: nil, extra: snapshotVariables())
    }

    private func snapshotVariables() -> [String: String] {
        createdSnapshots.isEmpty ? [:] : ["PGSNAP_SNAPSHOTS": createdSnapshots.joined(separator: " ")]
    }

    /// The `post-backup` hook, after teardown, with the outcome (only if `pre-backup`'s turn came).
    func runPostBackupHook(_ outcome: Result<BackupRecord, any Error>) {
        guard let hooks else { return }
        switch outcome {
        case .success(let record):
            var extra = ["PGSNAP_START_LSN": record.startLSN, "PGSNAP_STOP_LSN": record.stopLSN]
            extra["PGSNAP_BACKUP_DIRECTORY"] = settings.target.map { $0 + "/" + record.id }
            hooks.post(.postBackup, failure: nil, extra: extra)
        case .failure:
            let failure =
                failure ?? Failure(BackupError(code: .notReady, detail: "unknown failure"), stop: environment.stop)
            hooks.post(.postBackup, failure: (failure.message, failure.exitStatus))
        }
    }
}

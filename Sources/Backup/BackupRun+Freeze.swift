import Foundation
import PostgresClient
import TargetLayout

/// `pgsnap freeze` and `thaw` as stages of one run in the freeze holder: the same lock,
/// plan, partial directory, session, slot and backup mode as `backup`, but between start and
/// stop a storage system takes its own snapshot, and the record is of kind `external`.
extension BackupRun {
    /// Freeze: everything up to active backup mode. `snapshot = none` is forced by the
    /// holder: pgsnap makes no snapshot of its own, so LVM is not looked at.
    func freezeStages(_ context: inout BackupContext) throws {
        startTime = context.startTime
        try acquireLock()
        context.id = chooseID(startTime: context.startTime)
        try removeLeftovers(partials: false)
        try planStage(&context)
        context.partial = try prepareTarget(context.requirePlan())
        try startStage(&context)
    }

    /// Thaw: backup mode ends without waiting for archiving (the storage snapshot is taken,
    /// the holder must return in seconds), then the label, the map and the window's WAL are
    /// committed as an `external` record.
    func thawStages(_ context: inout BackupContext, snapshotName: String?) throws -> BackupRecord {
        guard let backupMode else { throw BackupError(code: .notReady, detail: "backup mode was never started") }
        let stopped = try backupMode.stop(waitForArchive: false)
        log("backup mode stopped at \(stopped.lsn)")
        context.stopped = stopped
        let start = try context.require(context.backupModeStart, "the start of backup mode")
        context.backupModeSeconds = environment.clock().timeIntervalSince(start)
        let partial = try context.requirePartial()
        try writeFile(stopped.labelFile, named: BackupFiles.backupLabel, in: partial)
        try writeFile(stopped.tablespaceMap, named: BackupFiles.tablespaceMap, in: partial)
        try walStage(&context)
        var record = try makeRecord(context)
        record.kind = BackupRecord.externalKind
        record.snapshotMode = BackupRecord.externalKind
        record.external = externalSnapshot(try context.requirePlan(), snapshotName: snapshotName)
        try commit(record, from: partial)
        context.record = record
        return record
    }

    /// Ends a freeze that will not be thawed (watchdog, signal, lost session, a failed thaw):
    /// teardown ends backup mode and drops the slot, and the partial directory becomes the
    /// failed record that says why.
    func endFreeze(failure error: (any Error)?) {
        if let error { failure = Failure(error, stop: environment.stop) }
        teardown.run(log: log)
        releaseLock()
    }

    /// Whether the server ended the holder's session (then it also ended backup mode).
    var sessionLost: Bool { session?.serverClosedConnection ?? true }

    private func writeFile(_ text: String, named name: String, in partial: String) throws {
        let data = Data(text.utf8)
        try Durability.writeNew(data, to: partial + "/" + name)
        try written.record(name, in: partial, size: UInt64(data.count))
    }

    /// What the storage system had to snapshot: every directory of the cluster and its mount.
    func externalSnapshot(_ plan: BackupPlan, snapshotName: String?) -> ExternalSnapshot {
        let directories = plan.report.directories
        var volumes: [String] = []
        for entry in directories {
            guard let mount = entry.location?.mount, !volumes.contains(mount.source) else { continue }
            volumes.append(mount.source)
        }
        var paths: [String] = []
        // pg_global is the data directory's own `global`, listed under the data directory's path.
        for path in directories.map(\.directory.path) where !paths.contains(path) { paths.append(path) }
        return ExternalSnapshot(snapshotName: snapshotName, frozenPaths: paths, volumes: volumes)
    }
}

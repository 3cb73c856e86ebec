import Foundation
import Preflight
import TargetLayout

/// backup.json of a complete run, from what the stages produced.
extension BackupRun {
    func makeRecord(_ context: BackupContext) throws -> BackupRecord {
        let plan = try context.requirePlan()
        let (started, stopped) = (try context.requireStarted(), try context.requireStopped())
        let copy = context.copy
        let server = plan.report.server
        let dataDirectory = server?.dataDirectory ?? ""
        var info = stat()
        _ = stat(dataDirectory, &info)
        let read = copy.outcomes.reduce(0) { $0 + $1.bytesRead }
        let written = copy.outcomes.reduce(0) { $0 + $1.bytesWritten }
        var record = BackupRecord(
            id: plan.id, label: settings.label ?? "pgsnap \(plan.id)", status: .complete, pgsnapVersion: pgsnapVersion,
            postgresVersion: server?.version ?? "", postgresVersionNumber: server?.versionNumber ?? 0,
            systemIdentifier: server?.systemIdentifier, timeline: stopped.timeline, startLSN: started.lsn.description,
            stopLSN: stopped.lsn.description, walSegments: context.walSegments, startTime: context.startTime,
            stopTime: environment.clock(),
            backupModeSeconds: try context.require(context.backupModeSeconds, "backup mode's duration"),
            snapshotMode: settings.snapshot.rawValue, dataDirectory: dataDirectory,
            dataDirectoryOwner: info.st_uid, dataDirectoryGroup: info.st_gid,
            tablespaces: plan.sources.compactMap { source in
                guard source.directory.role == .tablespace, let oid = source.directory.oid else { return nil }
                return BackupRecord.Tablespace(oid: oid, name: source.directory.name, location: source.directory.path)
            },
            volumes: recordVolumes(copy, plan: plan), bytesRead: read, bytesWritten: written,
            compressionRatio: written == 0 ? 0 : Double(read) / Double(written),
            throughputBytesPerSecond: copy.seconds > 0 ? Double(read) / copy.seconds : 0,
            compressionLevel: settings.compressLevel, manifestChecksums: settings.manifestChecksums.rawValue)
        record.backupModeWindow = context.backupModeWindow
        return record
    }

    private func recordVolumes(_ copy: Copy, plan: BackupPlan) -> [BackupRecord.Volume] {
        copy.outcomes.map { outcome -> BackupRecord.Volume in
            let volume = volume(for: outcome.archiveName, in: plan)
            var recorded = BackupRecord.Volume(
                archive: outcome.archiveName, origin: volume?.snapshot.origin.path,
                snapshotType: volume?.snapshot.origin.kind.rawValue, snapshotBytes: volume?.snapshot.sizeBytes,
                peakFillPercent: volume.flatMap { Self.watched($0, in: copy.peakFill) },
                bytesRead: outcome.bytesRead, bytesWritten: outcome.bytesWritten, files: outcome.files)
            let created = volume.flatMap { snapshotTimes[$0.snapshotName] }
            recorded.snapshotCreatedAt = created?.createdAt
            recorded.snapshotCreateSeconds = created?.seconds
            recorded.fillHistory = volume.flatMap { Self.watched($0, in: copy.fillHistory) }
            recorded.extensions = volume.flatMap { copy.extensions[$0.snapshot.origin.path] }
            recorded.snapshotSizeChoice = volume.flatMap { sizeChoices[$0.snapshot.origin.path] }
            return recorded
        }
    }

    /// What the watcher saw of a volume's snapshot: a thin snapshot's fill is its pool's.
    private static func watched<Value>(_ volume: BackupPlan.Volume, in readings: [String: Value]) -> Value? {
        let origin = volume.snapshot.origin
        return readings[origin.path] ?? origin.pool.flatMap { readings["\(origin.volumeGroup)/\($0)"] }
    }

    private func volume(for archiveName: String, in plan: BackupPlan) -> BackupPlan.Volume? {
        let source = plan.sources.first { source in
            switch source.directory.role {
            case .dataDirectory: return archiveName == BackupFiles.baseArchive
            case .tablespace: return archiveName == BackupFiles.tablespaceArchive(oid: source.directory.oid ?? 0)
            case .wal: return false
            }
        }
        return source?.volume.map { plan.volumes[$0] }
    }
}

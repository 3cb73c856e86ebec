import Archive
import CSystemShims
import Foundation
import PostgresFormat
import Preflight
import Storage
import SystemCalls
import TargetLayout

/// The stages after the copy: the WAL of the backup window, the manifest, the commit.
extension BackupRun {
    /// WAL: the segments from the start segment through the stop segment, from the live pg_wal
    /// (the slot kept them) or the configured archive, with `.done` markers so a restored server
    /// does not archive them again. Then the slot goes.
    func walStage(_ context: inout BackupContext) throws {
        guard let backupMode else { throw BackupError(code: .notReady, detail: "backup mode was never started") }
        let (started, stopped) = (try context.requireStarted(), try context.requireStopped())
        let partial = try context.requirePartial()
        let segmentSize = try backupMode.walSegmentSize()
        let names = WALFileName.names(
            from: started.lsn, through: stopped.lsn, timeline: stopped.timeline, segmentSize: segmentSize)
        let dataDirectory = try context.requirePlan().report.server?.dataDirectory ?? ""
        let source = try settings.walArchive ?? VolumeResolver.identify(dataDirectory + "/pg_wal").resolved
        var entries = try names.map { try walSegment($0, in: source, size: segmentSize) }
        let history = historyFile(timeline: stopped.timeline, in: source)
        if let history { entries.append(history.entry) }
        let owner = entries.first?.header
        let markers = (names + (history.map { [$0.name] } ?? [])).map {
            GeneratedFile(
                path: RawPath("archive_status/\($0).done"), contents: [], mode: 0o600, uid: owner?.uid,
                gid: owner?.gid)
        }
        let stop = environment.stop
        let archiver = VolumeArchiver(
            outputPath: partial + "/" + BackupFiles.walArchive,
            compressionLevel: settings.compressLevel,
            workers: settings.compressWorkers, checksumAlgorithm: .none,
            shouldStop: { stop.isStopped })
        let result = try archiver.archive(entries, trailingFiles: { markers })
        try written.record(BackupFiles.walArchive, in: partial, size: result.bytesWritten)
        try backupMode.releaseWAL()
        context.copy.outcomes.append(
            ArchiveOutcome(
                archiveName: BackupFiles.walArchive, bytesRead: result.bytesRead,
                bytesWritten: result.bytesWritten, files: result.files))
        context.walSegments = names
    }

    private func walSegment(_ name: String, in source: String, size segmentSize: UInt64) throws -> ArchiveEntry {
        let path = source + "/" + name
        var info = stat()
        guard stat(path, &info) == 0, info.st_size == Int(segmentSize) else {
            throw BackupError(
                code: settings.walArchive == nil ? .walMissing : .walNotInArchive,
                detail: "WAL segment \(name) is missing or incomplete in \(source)",
                underlying: Errno.current.description)
        }
        return Self.entry(name, at: path, info)
    }

    /// On a timeline after a failover the history file goes too, as pg_basebackup includes it:
    /// a restored server that recovers from an archive needs it to follow the timeline.
    private func historyFile(timeline: UInt32, in source: String) -> (name: String, entry: ArchiveEntry)? {
        guard timeline > 1 else { return nil }
        let name = WALFileName.historyName(timeline: timeline)
        var info = stat()
        guard stat(source + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            log(
                "timeline \(timeline) has no history file \(name) in \(source); the backup restores, but archive recovery may need it from the WAL archive"
            )
            return nil
        }
        return (name, Self.entry(name, at: source + "/" + name, info))
    }

    private static func entry(_ name: String, at path: String, _ info: stat) -> ArchiveEntry {
        ArchiveEntry(
            header: TarHeader(
                kind: .file, path: RawPath(name), mode: 0o600, uid: info.st_uid, gid: info.st_gid,
                modificationTime: Int64(info.st_mtim.tv_sec), size: UInt64(info.st_size)),
            sourcePath: RawPath(path))
    }

    /// Manifest: backup_manifest, in PostgreSQL's format, over every file of base and
    /// tablespace archives.
    func manifestStage(_ context: BackupContext) throws {
        let (started, stopped) = (try context.requireStarted(), try context.requireStopped())
        let partial = try context.requirePartial()
        let server = try context.requirePlan().report.server
        let builder = ManifestBuilder(
            version: .forServer(
                majorVersion: (server?.versionNumber ?? 0) / 10000,
                systemIdentifier: UInt64(server?.systemIdentifier ?? "") ?? 0))
        builder.add(context.copy.records)
        try builder.write(
            walRanges: [WALRange(timeline: stopped.timeline, start: started.lsn, end: stopped.lsn)],
            to: partial + "/" + BackupFiles.manifest)
        try written.record(BackupFiles.manifest, in: partial)
    }

    /// Commit: backup.json last, everything fsync'd, every file proven to be the one written,
    /// then the rename that makes the backup exist (never over an existing name).
    func commitStage(_ context: inout BackupContext) throws {
        let record = try makeRecord(context)
        try commit(record, from: context.requirePartial())
        context.record = record
    }

    func commit(_ record: BackupRecord, from partial: String) throws {
        guard let target = settings.target else { return }
        let data = try record.encoded()
        try Leftovers.unmarkPartial(partial)
        try Durability.writeNew(data, to: partial + "/" + BackupFiles.record)
        try written.record(BackupFiles.record, in: partial, size: UInt64(data.count))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: partial)) ?? [] {
            try Durability.sync(partial + "/" + name)
        }
        try Durability.sync(partial)
        try written.check(in: partial)
        let final = target + "/" + record.id
        guard pgsnap_rename_noreplace(partial, final) == 0 else {
            throw BackupError(
                code: .target, detail: "cannot rename \(partial) to \(final)",
                underlying: Errno.current.description)
        }
        // The directory is the backup now: teardown must no longer turn it into a failed record.
        teardown.forget(Self.partialStep)
        try Durability.sync(target)
    }
}

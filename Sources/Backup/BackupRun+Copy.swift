import Archive
import CPgsnapShims
import Configuration
import Foundation
import PostgresClient
import Preflight
import Storage

/// The copy stages: stream every volume, then the WAL, then the manifest, then commit.
extension BackupRun {
    /// What the copy produced, for the manifest and backup.json.
    struct Copy {
        var outcomes: [ArchiveOutcome] = []
        var records: [ManifestFileRecord] = []
        var seconds: Double = 0
        var peakFill: [String: Double] = [:]
        /// Set when backup mode ended during the copy (snapshot = none).
        var stopped: BackupMode.Stopped?
    }

    /// 9. Stream every volume concurrently, each into its own archive; 11. watch the snapshots
    /// meanwhile. Without snapshots backup mode ends after the last file is read, and
    /// `backup_label`/`tablespace_map` go at the end of base.tar, as pg_basebackup does.
    func streamVolumes(_ plan: BackupPlan, into target: String, stopped: BackupMode.Stopped?) throws -> Copy {
        let server = plan.report.server
        let major = (server?.versionNumber ?? 0) / 10000
        let walker = DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: major))
        let versionDirectory = try tablespaceVersionDirectory(major: major)
        var listings: [(ArchiveJob, DirectoryListing)] = []
        for source in plan.sources {
            let root = plan.readPath(of: source)
            switch source.directory.role {
            case .tablespace:
                let oid = source.directory.oid ?? 0
                let listing = try walker.tablespace(at: RawPath(root), versionDirectory: RawPath(versionDirectory))
                listings.append((ArchiveJob(archiveName: "\(oid).tar.zst", sourceRoot: root,
                                            kind: .tablespace(oid: oid, versionDirectory: versionDirectory)), listing))
            case .dataDirectory:
                let listing = try walker.dataDirectory(at: RawPath(root))
                listings.insert((ArchiveJob(archiveName: "base.tar.zst", sourceRoot: root, kind: .dataDirectory(generated: [])),
                                 listing), at: 0)
            case .wal:
                continue
            }
        }
        let total = listings.reduce(0) { $0 + $1.1.totalFileBytes }
        let perVolume = listings.map { _ in ArchiveProgress() }
        let watcher = makeWatcher(plan, total: total) { perVolume.reduce(0) { $0 + $1.current.bytesRead } }
        watcher?.startWatching()
        let reporter = onProgress.map { sink in
            ProgressReporter(volumes: zip(listings, perVolume).map { item, progress in
                ProgressReporter.Volume(name: item.0.archiveName, total: item.1.totalFileBytes, progress: progress)
            }, sink: sink)
        }
        reporter?.startReporting()
        defer { reporter?.stopReporting() }
        let started = Date()
        var owner = stat()
        _ = stat(server?.dataDirectory ?? "/", &owner)
        let labelFiles = LabelFiles(known: stopped, uid: owner.st_uid, gid: owner.st_gid)
        let others = DispatchGroup()
        for _ in listings.dropFirst() { others.enter() }
        let settings = self.settings
        // Without snapshots the backup is only valid if backup mode survives the copy: stop as
        // soon as the server ends the session instead of copying for nothing.
        let sessionLost = SessionWatch(session: stopped == nil ? session : nil)
        let jobs: [@Sendable () -> Result<VolumeArchiveResult, ArchiveError>] = listings.enumerated().map { index, item in
            let (job, listing) = item
            let archiver = VolumeArchiver(
                outputPath: target + "/" + job.archiveName, compressionLevel: settings.compressLevel,
                workers: settings.compressWorkers, checksumAlgorithm: Self.checksumAlgorithm(settings.manifestChecksums),
                manifestPathPrefix: Self.manifestPrefix(job), progress: perVolume[index],
                shouldStop: { Interruption.signal != nil || watcher?.abortReason != nil || sessionLost.lost })
            let isBase = index == 0
            return {
                let result = Result { () throws(ArchiveError) -> VolumeArchiveResult in
                    try archiver.archive(listing.entries, trailingFiles: { () throws(ArchiveError) -> [GeneratedFile] in
                        guard isBase else { return [] }
                        others.wait()
                        return try labelFiles.files()
                    })
                }
                if !isBase { others.leave() }
                return result
            }
        }
        labelFiles.stopBackupMode = { [self] () throws -> BackupMode.Stopped in try stopBackupMode() }
        let results = ArchiveThreads.run(jobs)
        watcher?.stopWatching()
        if let reason = watcher?.abortReason { throw reason }
        try Interruption.check()
        if sessionLost.lost {
            throw PostgresError(code: .connectionLost,
                                libpqMessage: "the server ended the backup session during the copy" + serverFarewell())
        }
        if let failure = labelFiles.failure { throw failure }
        var copy = Copy(seconds: Date().timeIntervalSince(started), peakFill: watcher?.peakFill ?? [:],
                        stopped: labelFiles.stopped)
        for ((job, _), result) in zip(listings, results) {
            let archived = try result.get()
            try written.record(job.archiveName, in: target, size: archived.bytesWritten)
            copy.records += archived.manifestRecords
            copy.outcomes.append(ArchiveOutcome(archiveName: job.archiveName, bytesRead: archived.bytesRead,
                                                bytesWritten: archived.bytesWritten, files: archived.files))
            if !archived.vanishedFiles.isEmpty {
                log("\(archived.vanishedFiles.count) file(s) vanished while \(job.archiveName) was written (WAL replay recreates them)")
            }
        }
        return copy
    }

    /// 7. The WAL from the start segment through the stop segment, from the live pg_wal (the
    /// slot kept it) or the configured archive; `.done` markers so a restored server does not
    /// archive them again. Then the slot goes.
    func archiveWAL(_ plan: BackupPlan, started: BackupMode.Started, stopped: BackupMode.Stopped, into target: String)
        throws -> (outcome: ArchiveOutcome, names: [String])
    {
        guard let backupMode else { throw BackupError(code: .notReady, detail: "backup mode was never started") }
        let segmentSize = try backupMode.walSegmentSize()
        let names = started.lsn.walFileNames(through: stopped.lsn, timeline: stopped.timeline, segmentSize: segmentSize)
        let dataDirectory = plan.report.server?.dataDirectory ?? ""
        let source = try settings.walArchive ?? VolumeResolver.identify(dataDirectory + "/pg_wal").resolved
        var entries: [ArchiveEntry] = []
        for name in names {
            let path = source + "/" + name
            var info = stat()
            guard stat(path, &info) == 0, info.st_size == Int(segmentSize) else {
                throw BackupError(code: settings.walArchive == nil ? .walMissing : .walNotInArchive,
                                  detail: "WAL segment \(name) is missing or incomplete in \(source)",
                                  underlying: String(cString: strerror(errno)))
            }
            entries.append(ArchiveEntry(
                header: TarHeader(kind: .file, path: RawPath(name), mode: 0o600, uid: info.st_uid, gid: info.st_gid,
                                  modificationTime: Int64(info.st_mtim.tv_sec), size: UInt64(info.st_size)),
                sourcePath: RawPath(path)))
        }
        // On a timeline after a failover the history file goes too, as pg_basebackup includes
        // it: a restored server that recovers from an archive needs it to follow the timeline.
        var historyNames: [String] = []
        if stopped.timeline > 1 {
            let name = String(stopped.timeline, radix: 16, uppercase: true)
            let history = String(repeating: "0", count: max(0, 8 - name.count)) + name + ".history"
            var info = stat()
            if stat(source + "/" + history, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                entries.append(ArchiveEntry(
                    header: TarHeader(kind: .file, path: RawPath(history), mode: 0o600, uid: info.st_uid, gid: info.st_gid,
                                      modificationTime: Int64(info.st_mtim.tv_sec), size: UInt64(info.st_size)),
                    sourcePath: RawPath(source + "/" + history)))
                historyNames.append(history)
            } else {
                log("timeline \(stopped.timeline) has no history file \(history) in \(source); the backup restores, but archive recovery may need it from the WAL archive")
            }
        }
        let owner = entries.first?.header
        let markers = (names + historyNames).map {
            GeneratedFile(path: RawPath("archive_status/\($0).done"), contents: [], mode: 0o600, uid: owner?.uid,
                          gid: owner?.gid)
        }
        let archiver = VolumeArchiver(outputPath: target + "/pg_wal.tar.zst", compressionLevel: settings.compressLevel,
                                      workers: settings.compressWorkers, checksumAlgorithm: .none,
                                      shouldStop: { Interruption.signal != nil })
        let result = try archiver.archive(entries, trailingFiles: { markers })
        try written.record("pg_wal.tar.zst", in: target, size: result.bytesWritten)
        try backupMode.releaseWAL()
        return (ArchiveOutcome(archiveName: "pg_wal.tar.zst", bytesRead: result.bytesRead,
                               bytesWritten: result.bytesWritten, files: result.files), names)
    }

    /// 10. backup_manifest, in PostgreSQL's format, over every file of base and tablespace archives.
    func writeManifest(_ copy: Copy, started: BackupMode.Started, stopped: BackupMode.Stopped, into target: String,
                       plan: BackupPlan) throws {
        let server = plan.report.server
        let builder = ManifestBuilder(version: .forServer(
            majorVersion: (server?.versionNumber ?? 0) / 10000,
            systemIdentifier: UInt64(server?.systemIdentifier ?? "") ?? 0))
        builder.add(copy.records)
        try builder.write(walRanges: [WALRange(timeline: stopped.timeline, start: started.lsn.value, end: stopped.lsn.value)],
                          to: target + "/backup_manifest")
        try written.record("backup_manifest", in: target)
    }

    /// 12. backup.json last, everything fsync'd, every file proven to be the one written, then
    /// the rename that makes the backup exist (never over an existing name).
    func commit(_ record: BackupRecord, from partial: String) throws {
        guard let target = settings.target else { return }
        let data = try record.encoded()
        try Leftovers.unmarkPartial(partial)
        try Durability.writeNew(data, to: partial + "/backup.json")
        try written.record("backup.json", in: partial, size: UInt64(data.count))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: partial)) ?? [] {
            try Durability.sync(partial + "/" + name)
        }
        try Durability.sync(partial)
        try written.check(in: partial)
        let final = target + "/" + record.id
        guard pgsnap_rename_noreplace(partial, final) == 0 else {
            throw BackupError(code: .target, detail: "cannot rename \(partial) to \(final)",
                              underlying: String(cString: strerror(errno)))
        }
        committed()
        try Durability.sync(target)
    }

    func makeRecord(plan: BackupPlan, copy: Copy, started: BackupMode.Started, stopped: BackupMode.Stopped,
                    segments: [String], startTime: Date, backupModeSeconds: Double) -> BackupRecord {
        let server = plan.report.server
        let dataDirectory = server?.dataDirectory ?? ""
        var info = stat()
        _ = stat(dataDirectory, &info)
        let read = copy.outcomes.reduce(0) { $0 + $1.bytesRead }
        let written = copy.outcomes.reduce(0) { $0 + $1.bytesWritten }
        let volumes = copy.outcomes.map { outcome -> BackupRecord.Volume in
            let volume = volume(for: outcome.archiveName, in: plan)
            return BackupRecord.Volume(
                archive: outcome.archiveName, origin: volume?.snapshot.origin.path,
                snapshotType: volume?.snapshot.origin.kind.rawValue, snapshotBytes: volume?.snapshot.sizeBytes,
                peakFillPercent: volume.flatMap { volume in
                    let origin = volume.snapshot.origin
                    // A thin snapshot's fill is its pool's.
                    return copy.peakFill[origin.path] ?? origin.pool.flatMap { copy.peakFill["\(origin.volumeGroup)/\($0)"] }
                },
                bytesRead: outcome.bytesRead, bytesWritten: outcome.bytesWritten, files: outcome.files)
        }
        return BackupRecord(
            id: plan.id, label: settings.label ?? "pgsnap \(plan.id)", status: .complete, pgsnapVersion: pgsnapVersion,
            postgresVersion: server?.version ?? "", postgresVersionNumber: server?.versionNumber ?? 0,
            systemIdentifier: server?.systemIdentifier, timeline: stopped.timeline, startLSN: started.lsn.description,
            stopLSN: stopped.lsn.description, walSegments: segments, startTime: startTime, stopTime: environment.clock(),
            backupModeSeconds: backupModeSeconds, snapshotMode: settings.snapshot.rawValue, dataDirectory: dataDirectory,
            dataDirectoryOwner: info.st_uid, dataDirectoryGroup: info.st_gid,
            tablespaces: plan.sources.compactMap { source in
                guard source.directory.role == .tablespace, let oid = source.directory.oid else { return nil }
                return BackupRecord.Tablespace(oid: oid, name: source.directory.name, location: source.directory.path)
            },
            volumes: volumes, bytesRead: read, bytesWritten: written,
            compressionRatio: written == 0 ? 0 : Double(read) / Double(written),
            throughputBytesPerSecond: copy.seconds > 0 ? Double(read) / copy.seconds : 0,
            compressionLevel: settings.compressLevel, manifestChecksums: settings.manifestChecksums.rawValue)
    }

    // MARK: - Helpers

    private func volume(for archiveName: String, in plan: BackupPlan) -> BackupPlan.Volume? {
        let source = plan.sources.first { source in
            switch source.directory.role {
            case .dataDirectory: return archiveName == "base.tar.zst"
            case .tablespace: return archiveName == "\(source.directory.oid ?? 0).tar.zst"
            case .wal: return false
            }
        }
        return source?.volume.map { plan.volumes[$0] }
    }

    private func makeWatcher(_ plan: BackupPlan, total: UInt64, bytesRead: @escaping @Sendable () -> UInt64)
        -> SnapshotWatcher?
    {
        var targets = plan.volumes.filter { $0.snapshot.sizeBytes != nil }.map {
            SnapshotWatcher.Target(
                deviceMapperName: LVMName.deviceMapperName(volumeGroup: $0.snapshot.origin.volumeGroup,
                                                           logicalVolume: $0.snapshotName),
                displayName: $0.snapshot.origin.path, sizeBytes: $0.snapshot.sizeBytes ?? 0)
        }
        // Thin snapshots: watch each pool once; its data device is `<vg>-<pool>-tpool`.
        let pools = Set(plan.volumes.compactMap { volume in
            volume.snapshot.origin.pool.map { "\(volume.snapshot.origin.volumeGroup)/\($0)" }
        })
        for pool in pools.sorted() {
            let parts = pool.split(separator: "/").map(String.init)
            targets.append(SnapshotWatcher.Target(
                deviceMapperName: LVMName.deviceMapperName(volumeGroup: parts[0], logicalVolume: parts[1]) + "-tpool",
                displayName: pool, sizeBytes: 0, isThinPool: true))
        }
        guard !targets.isEmpty, let deviceMapper = try? environment.deviceMapper() else { return nil }
        let watcher = SnapshotWatcher(
            targets: targets,
            deviceMapper: deviceMapper, interval: settings.watchInterval,
            progress: { (bytesRead(), total) }, log: log)
        setWatcher(watcher)
        return watcher
    }

    /// `PG_<major>_<catalog version>`, the directory a tablespace holds for this server.
    private func tablespaceVersionDirectory(major: Int) throws -> String {
        guard let session else { throw BackupError(code: .notReady, detail: "no session") }
        let catalog = try session.query("SELECT catalog_version_no::text FROM pg_control_system()").scalar() ?? ""
        return "PG_\(major)_\(catalog)"
    }

    static func manifestPrefix(_ job: ArchiveJob) -> RawPath {
        if case .tablespace(let oid, _) = job.kind { return RawPath("pg_tblspc/\(oid)/") }
        return RawPath(bytes: [])
    }

    static func checksumAlgorithm(_ setting: ManifestChecksums) -> ChecksumAlgorithm {
        switch setting {
        case .crc32c: return .crc32c
        case .sha256: return .sha256
        case .none: return .none
        }
    }
}

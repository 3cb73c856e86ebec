import Archive
import Configuration
import ExitStatus
import Foundation
import PostgresClient
import PostgresFormat
import Preflight
import Storage
import TargetLayout

/// The stream stage: every volume concurrently into its own archive, the snapshots watched
/// meanwhile. Without snapshots backup mode ends on this thread once every data file is read,
/// and `backup_label`/`tablespace_map` go at the end of base.tar, as pg_basebackup does; with
/// snapshots they are known before the copy and go to the same place.
extension BackupRun {
    /// What the copy produced, for the manifest and backup.json.
    struct Copy {
        var outcomes: [ArchiveOutcome] = []
        var records: [ManifestFileRecord] = []
        var seconds: Double = 0
        var peakFill: [String: Double] = [:]
        var fillHistory: [String: [BackupRecord.FillSample]] = [:]
        var extensions: [String: [BackupRecord.Extension]] = [:]
    }

    /// One archive to write and the files it gets.
    typealias Listing = (job: ArchiveJob, listing: DirectoryListing)

    func streamStage(_ context: inout BackupContext) throws {
        let plan = try context.requirePlan()
        let target = try prepareTarget(plan)
        context.partial = target
        let listings = try listArchives(plan)
        let progress = listings.map { _ in ArchiveProgress() }
        let total = listings.reduce(0) { $0 + $1.listing.totalFileBytes }
        // Watching since the snapshots exist (`startWatchingSnapshots`); from here on it projects.
        let watcher = self.watcher
        watcher?.copyStarted { (progress.reduce(0) { $0 + $1.current.bytesRead }, total) }
        defer { watcher?.stopWatching() }
        let reporter = makeReporter(listings, progress)
        reporter?.startReporting()
        defer { reporter?.stopReporting() }
        let started = environment.clock()
        let stop = environment.stop
        // Without snapshots the backup is only valid if backup mode survives the copy: stop as
        // soon as the server ends the session instead of copying for nothing.
        let sessionLost = SessionWatch(session: context.stopped == nil ? session : nil)
        let jobs = makeJobs(listings, progress: progress, into: target) {
            stop.isStopped || watcher?.abortReason != nil || sessionLost.lost
        }
        let (outcomes, stopFailure) = copy(
            jobs, context: &context, dataDirectory: plan.report.server?.dataDirectory,
            poll: sessionLost.poll)
        watcher?.stopWatching()
        try checkCopy(watcher: watcher, sessionLost: sessionLost, stopFailure: stopFailure)
        context.copy = try collect(outcomes, of: listings, into: target)
        context.copy.seconds = environment.clock().timeIntervalSince(started)
        context.copy.peakFill = watcher?.peakFill ?? [:]
        context.copy.fillHistory = watcher?.fillHistory ?? [:]
        context.copy.extensions = watcher?.extensionsMade ?? [:]
        logArchives(context.copy)
    }

    /// One line per archive for the log's reader: what it holds and how fast the stream ran
    /// (the archives are written concurrently, so the rate is over the stream stage).
    private func logArchives(_ copy: Copy) {
        for outcome in copy.outcomes {
            let ratio = outcome.bytesWritten > 0 ? Double(outcome.bytesRead) / Double(outcome.bytesWritten) : 0
            let rate = copy.seconds > 0 ? UInt64(Double(outcome.bytesRead) / copy.seconds) : 0
            log(
                "archive \(outcome.archiveName): \(outcome.files) file(s), \(ByteCount(outcome.bytesRead)) read, "
                    + "\(ByteCount(outcome.bytesWritten)) written (\(String(format: "%.2f", ratio))x), "
                    + "\(ByteCount(rate))/s over \(Self.seconds(copy.seconds)) s")
        }
    }

    /// Runs the archive threads to their end. Without snapshots, backup mode ends here, on the
    /// calling thread, once the base archive has every data file in (every other archive is
    /// complete by then); a failure to end it is returned, and the base archive refused.
    /// Never throws: the threads are always waited for, so teardown never races them.
    private func copy(
        _ jobs: [CopyThreads.Job], context: inout BackupContext, dataDirectory: String?,
        poll: () -> Void
    ) -> (outcomes: [CopyThreads.Outcome], stopFailure: (any Error)?) {
        let threads = CopyThreads(jobs)
        var stopFailure: (any Error)?
        if context.stopped == nil, threads.waitForDataFiles(poll: poll) {
            do {
                try endBackupMode(&context)
            } catch {
                stopFailure = error
            }
        }
        if let stopped = context.stopped {
            threads.handOver(.success(Self.labelFiles(stopped, dataDirectory: dataDirectory)))
        } else {
            threads.handOver(
                .failure(ArchiveError(code: .readFailed, path: "backup_label", reason: "ending backup mode failed")))
        }
        return (threads.waitForAll(poll: poll), stopFailure)
    }

    /// Why the copy stopped, in the order a person needs it: the snapshot overflowed, a signal,
    /// the server ended the session, backup mode could not end.
    private func checkCopy(watcher: SnapshotWatcher?, sessionLost: SessionWatch, stopFailure: (any Error)?) throws {
        if let reason = watcher?.abortReason { throw reason }
        try environment.stop.check()
        if sessionLost.lost {
            throw PostgresError(
                code: .connectionLost,
                libpqMessage: "the server ended the backup session during the copy" + serverFarewell())
        }
        if let stopFailure { throw stopFailure }
    }

    /// `backup_label` and `tablespace_map`, owned as the data directory is, so a restored
    /// server can read them.
    static func labelFiles(_ stopped: BackupMode.Stopped, dataDirectory: String?) -> [GeneratedFile] {
        var owner = stat()
        _ = stat(dataDirectory ?? "/", &owner)
        var files = [
            GeneratedFile(
                path: "backup_label", contents: Array(stopped.labelFile.utf8), mode: 0o600,
                uid: owner.st_uid, gid: owner.st_gid)
        ]
        if !stopped.tablespaceMap.isEmpty {
            files.append(
                GeneratedFile(
                    path: "tablespace_map", contents: Array(stopped.tablespaceMap.utf8), mode: 0o600,
                    uid: owner.st_uid, gid: owner.st_gid))
        }
        return files
    }

    /// The files of every archive, base.tar first.
    private func listArchives(_ plan: BackupPlan) throws -> [Listing] {
        let major = (plan.report.server?.versionNumber ?? 0) / 10000
        let walker = DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: major))
        let versionDirectory = try tablespaceVersionDirectory(major: major)
        var listings: [Listing] = []
        for source in plan.sources {
            let root = plan.readPath(of: source)
            switch source.directory.role {
            case .tablespace:
                let oid = source.directory.oid ?? 0
                let listing = try walker.tablespace(at: RawPath(root), versionDirectory: RawPath(versionDirectory))
                listings.append(
                    (
                        ArchiveJob(
                            archiveName: BackupFiles.tablespaceArchive(oid: oid), sourceRoot: root,
                            kind: .tablespace(oid: oid, versionDirectory: versionDirectory)), listing
                    ))
            case .dataDirectory:
                let listing = try walker.dataDirectory(at: RawPath(root))
                listings.insert(
                    (
                        ArchiveJob(
                            archiveName: BackupFiles.baseArchive, sourceRoot: root, kind: .dataDirectory(generated: [])),
                        listing
                    ), at: 0)
            case .wal:
                continue
            }
        }
        return listings
    }

    /// One job per archive; only the base archive (first) appends the label files.
    private func makeJobs(
        _ listings: [Listing], progress: [ArchiveProgress], into target: String,
        shouldStop: @escaping @Sendable () -> Bool
    ) -> [CopyThreads.Job] {
        let settings = self.settings
        // One budget for every archive: max_rate is what the host gives the whole backup.
        let rateLimit = settings.maxRate.map { ReadRateLimit(bytesPerSecond: $0) }
        if let rate = settings.maxRate { log("reading at most \(ByteCount(rate))/s (max_rate)") }
        return listings.enumerated().map { index, item in
            let archiver = VolumeArchiver(
                outputPath: target + "/" + item.job.archiveName, compressionLevel: settings.compressLevel,
                workers: settings.compressWorkers,
                checksumAlgorithm: Self.checksumAlgorithm(settings.manifestChecksums),
                manifestPathPrefix: Self.manifestPrefix(item.job), progress: progress[index], shouldStop: shouldStop,
                rateLimit: rateLimit)
            let entries = item.listing.entries
            let isBase = index == 0
            return { labelFiles in
                Result { () throws(ArchiveError) -> VolumeArchiveResult in
                    guard isBase else { return try archiver.archive(entries) }
                    return try archiver.archive(entries, trailingFiles: labelFiles)
                }
            }
        }
    }

    private func makeReporter(_ listings: [Listing], _ progress: [ArchiveProgress]) -> ProgressReporter? {
        onProgress.map { sink in
            ProgressReporter(
                volumes: zip(listings, progress).map { item, progress in
                    ProgressReporter.Volume(
                        name: item.job.archiveName, total: item.listing.totalFileBytes, progress: progress)
                }, sink: sink)
        }
    }

    /// Each archive's outcome, recorded as written; the first failure is the run's.
    private func collect(_ outcomes: [CopyThreads.Outcome], of listings: [Listing], into target: String) throws -> Copy
    {
        var copy = Copy()
        for (item, outcome) in zip(listings, outcomes) {
            let archived = try outcome.get()
            let name = item.job.archiveName
            try written.record(name, in: target, size: archived.bytesWritten)
            copy.records += archived.manifestRecords
            copy.outcomes.append(
                ArchiveOutcome(
                    archiveName: name, bytesRead: archived.bytesRead,
                    bytesWritten: archived.bytesWritten, files: archived.files))
            if !archived.vanishedFiles.isEmpty {
                log(
                    "\(archived.vanishedFiles.count) file(s) vanished while \(name) was written (WAL replay recreates them)"
                )
            }
        }
        return copy
    }

    /// Starts the snapshot watcher as soon as the snapshots exist, before the mounts: a busy
    /// origin fills a small snapshot during the mount and the listing too, and an extension
    /// then is what keeps it valid. The run stops it before teardown removes the snapshots.
    func startWatchingSnapshots(_ plan: BackupPlan) {
        guard watcher == nil, let watcher = makeWatcher(plan) else { return }
        self.watcher = watcher
        watcher.startWatching()
        teardown.push("snapshot watcher") { watcher.stopWatching() }
    }

    private func makeWatcher(_ plan: BackupPlan) -> SnapshotWatcher? {
        var targets = plan.volumes.filter { $0.snapshot.sizeBytes != nil }.map {
            SnapshotWatcher.Target(
                deviceMapperName: LVMName.deviceMapperName(
                    volumeGroup: $0.snapshot.origin.volumeGroup,
                    logicalVolume: $0.snapshotName),
                displayName: $0.snapshot.origin.path, sizeBytes: $0.snapshot.sizeBytes ?? 0,
                volumeGroup: $0.snapshot.origin.volumeGroup, logicalVolume: $0.snapshotName)
        }
        // Thin snapshots: watch each pool once; its data device is `<vg>-<pool>-tpool`.
        let pools = Set(
            plan.volumes.compactMap { volume in
                volume.snapshot.origin.pool.map { "\(volume.snapshot.origin.volumeGroup)/\($0)" }
            })
        for pool in pools.sorted() {
            let parts = pool.split(separator: "/").map(String.init)
            targets.append(
                SnapshotWatcher.Target(
                    deviceMapperName: LVMName.deviceMapperName(volumeGroup: parts[0], logicalVolume: parts[1])
                        + "-tpool",
                    displayName: pool, sizeBytes: 0, isThinPool: true))
        }
        guard !targets.isEmpty, let deviceMapper = try? environment.deviceMapper() else { return nil }
        let policy = FillPolicy(
            autoextendThreshold: Double(settings.snapshotAutoextendThreshold),
            autoextendPercent: Double(settings.snapshotAutoextendPercent),
            thinPoolDangerThreshold: Double(settings.thinPoolDangerThreshold))
        return SnapshotWatcher(
            targets: targets, deviceMapper: deviceMapper, lvm: lvm, policy: policy, interval: settings.watchInterval,
            log: log)
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

public import Configuration
import Catalog
import Foundation
import PostgresClient
import Preflight
import Storage

/// One `pgsnap backup`, as the list of named stages it runs. Every stage that creates
/// something registers it for `teardown`, which runs on success, on every error and after a
/// signal: mounts, snapshots, backup mode, slot and session, and the half-written directory.
public final class BackupRun {
    public let settings: Settings
    let environment: BackupEnvironment
    let log: @Sendable (String) -> Void
    let pgsnapVersion: String
    /// Receives a progress line every second during the copy (set it only for a terminal).
    public var onProgress: (@Sendable (String) -> Void)?

    // What teardown undoes, in reverse order of creation.
    private var lock: RunLock?
    private(set) var session: (any PostgresSession)?
    private(set) var backupMode: BackupMode?
    private var lvm: (any LVMSnapshots)?
    private(set) var createdSnapshots: [(volumeGroup: String, name: String)] = []
    private var mountedDirectories: [String] = []
    private var partialDirectory: String?
    /// What the run wrote into the partial directory, checked again before the commit.
    var written = WrittenFiles()
    private var watcher: SnapshotWatcher?
    /// The hooks of this run (docs/hooks.md); nil until `hook_directory` was checked.
    var hooks: BackupHooks?
    // What a failed run records in `<id>.failed/backup.json`.
    private(set) var startTime: Date?
    private(set) var failure: Failure?
    /// Where a failed run's record was written, once it was (`<id>.failed`); nil when the run
    /// failed before it created anything in the target, so nothing claims a record was kept.
    public internal(set) var failedRunDirectory: String?
    /// Receives warnings that do not fail the run (retention after a backup); `log` when nil.
    public var onWarning: (@Sendable (String) -> Void)?

    public init(settings: Settings, environment: BackupEnvironment, pgsnapVersion: String,
                log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.environment = environment
        self.pgsnapVersion = pgsnapVersion
        self.log = log
    }

    /// Removes what killed runs left behind, under the run lock, and nothing else.
    @discardableResult
    public func cleanup() throws -> CleanupReport {
        defer { teardown() }
        try acquireLock()
        return try removeLeftovers()
    }

    /// Runs every stage and returns the record of the committed backup; then applies the
    /// configured retention, whose failure is only a warning (the backup itself is complete).
    /// A failure after the target directory was created leaves `<id>.failed/backup.json`.
    /// The `post-backup` hook runs last, after teardown but still under the run lock.
    public func run() throws -> BackupRecord {
        let startTime = environment.clock()
        self.startTime = startTime
        let outcome: Result<BackupRecord, any Error>
        do {
            let record = try runStages(startTime: startTime)
            applyRetention(after: record)
            outcome = .success(record)
        } catch {
            failure = Failure(error)
            outcome = .failure(error)
        }
        teardown(keepingLock: true)
        runPostBackupHook(outcome)
        lock = nil
        return try outcome.get()
    }

    private func runStages(startTime: Date) throws -> BackupRecord {
        try openHooks()
        try acquireLock()
        let id = chooseID(startTime: startTime)
        try hooks?.pre(.preBackup, stop: Self.interrupted)
        let plan = try makePlan(id: id)
        try bindTarget(plan)
        try removeLeftovers()
        describeToHooks(plan)
        try Interruption.check()
        let started = try startBackupMode(plan)
        hooks?.set("PGSNAP_START_LSN", started.lsn.description)
        let backupModeStart = Date()
        try createSnapshotsBetweenHooks(plan)
        let stopped = try stopBackupModeIfSnapshotted(plan)
        let backupModeSeconds = stopped.map { _ in Date().timeIntervalSince(backupModeStart) }
        try mountSnapshots(plan)
        let target = try prepareTarget(plan)
        var copy = try streamVolumes(plan, into: target, stopped: stopped)
        let final = try stopped ?? copy.stopped ?? stopBackupMode()
        let modeSeconds = backupModeSeconds ?? Date().timeIntervalSince(backupModeStart)
        let segments = try archiveWAL(plan, started: started, stopped: final, into: target)
        copy.outcomes.append(segments.outcome)
        try writeManifest(copy, started: started, stopped: final, into: target, plan: plan)
        let record = makeRecord(plan: plan, copy: copy, started: started, stopped: final, segments: segments.names,
                                startTime: startTime, backupModeSeconds: modeSeconds)
        try commit(record, from: target)
        return record
    }

    // MARK: - Stages

    /// 1. Lock: one run per host; a second one leaves at once.
    func acquireLock() throws {
        try createPrivateDirectory(settings.runDirectory)
        lock = try RunLock(path: settings.lockPath)
    }

    /// 1b. The ID, under the lock and before PostgreSQL is touched: the start time, or the next
    /// second not yet used in the target (two runs in the same second, a leftover of a crash).
    func chooseID(startTime: Date) -> String {
        let id = BackupID.firstFree(at: startTime, in: settings.target)
        hooks?.set("PGSNAP_BACKUP_ID", id)
        return id
    }

    /// 2. Leftovers of a crashed run: pgsnap's own mounts, tagged snapshots and partial
    /// directories only. Also what `pgsnap cleanup` runs.
    @discardableResult
    func removeLeftovers() throws -> CleanupReport {
        var report = CleanupReport()
        report.unmounted = try Leftovers.unmount(under: settings.runDirectory + "/mnt", mounter: environment.mounter, log: log)
        if let target = settings.target { report.partialBackups = Leftovers.removePartialBackups(in: target, log: log) }
        guard settings.snapshot == .lvm, environment.preflight.kernel.deviceMapperMajor != nil else { return report }
        let lvm = try environment.lvm()
        self.lvm = lvm
        report.snapshots = try Leftovers.removeSnapshots(lvm: lvm, log: log)
        return report
    }

    /// 3. Plan: the same analysis as `pgsnap check`; any problem stops the run before PostgreSQL is touched.
    func makePlan(id: String) throws -> BackupPlan {
        let report = Preflight(settings: settings, environment: environment.preflight).run()
        for problem in report.problems { log("problem: \(problem.message) — \(problem.hint)") }
        if let first = report.problems.first {
            let more = report.problems.count > 1 ? " ('pgsnap check' lists all \(report.problems.count) problems)" : ""
            throw BackupError(code: .notReady, detail: first.message, underlying: nil, status: report.exitStatus,
                              problemHint: first.hint + more)
        }
        return try BackupPlan(id: id, report: report, settings: settings)
    }

    /// 3b. The target holds one cluster's backups (docs/target.md): the first backup binds it,
    /// durably, before backup mode starts. The plan already refused another cluster's target;
    /// this re-reads it, since another host sharing the target may have bound it meanwhile.
    func bindTarget(_ plan: BackupPlan) throws {
        guard let target = settings.target else { return }
        guard let cluster = plan.report.server?.systemIdentifier, TargetBinding.isValidSystemIdentifier(cluster) else {
            log("the server's system identifier is unknown; \(target) is not bound to its cluster")
            return
        }
        let owner = try BackupCatalog(target: target, lockPath: nil).owner
        if case .mixed(let identifiers) = owner {
            throw CatalogError.mixedClusters(target: target, systemIdentifiers: identifiers)
        }
        let binding: TargetBinding
        if case .bound(let existing) = owner {
            binding = existing
        } else {
            binding = try TargetBinding(systemIdentifier: owner.systemIdentifier ?? cluster, boundAt: environment.clock(),
                                        pgsnapVersion: pgsnapVersion).write(target: target)
            log("backup target \(target) bound to cluster \(binding.systemIdentifier)")
        }
        guard binding.systemIdentifier == cluster else {
            throw CatalogError.otherCluster(target: target, owner: binding.systemIdentifier, cluster: cluster)
        }
    }

    /// 4. Backup mode on one session kept for the whole window, with WAL reserved by a temporary slot.
    func startBackupMode(_ plan: BackupPlan) throws -> BackupMode.Started {
        let session = try environment.connect(settings.conninfo)
        self.session = session
        let mode = BackupMode(session: session)
        backupMode = mode
        try mode.prepareSession()
        try mode.reserveWAL(slotName: "pgsnap_" + plan.id.lowercased())
        let started = try mode.start(label: settings.label ?? "pgsnap \(plan.id)", fastCheckpoint: settings.fastCheckpoint)
        log("backup mode started at \(started.lsn)")
        return started
    }

    /// 5. One snapshot per logical volume, tagged as pgsnap's.
    func createSnapshots(_ plan: BackupPlan) throws {
        guard !plan.volumes.isEmpty else { return }
        let lvm = try self.lvm ?? environment.lvm()
        self.lvm = lvm
        for volume in plan.volumes {
            try Interruption.check()
            let origin = volume.snapshot.origin
            try lvm.createSnapshot(of: origin, name: volume.snapshotName, sizeBytes: volume.snapshot.sizeBytes,
                                   tags: [Leftovers.tag])
            createdSnapshots.append((origin.volumeGroup, volume.snapshotName))
            log("snapshot \(origin.volumeGroup)/\(volume.snapshotName) of \(origin.path) created")
        }
    }

    /// 6. Backup mode ends as soon as the last snapshot exists (not at all yet without snapshots).
    func stopBackupModeIfSnapshotted(_ plan: BackupPlan) throws -> BackupMode.Stopped? {
        guard !plan.volumes.isEmpty else { return nil }
        return try stopBackupMode()
    }

    func stopBackupMode() throws -> BackupMode.Stopped {
        guard let backupMode else { throw BackupError(code: .notReady, detail: "backup mode was never started") }
        let stopped = try stopWaitingForArchive(backupMode)
        log("backup mode stopped at \(stopped.lsn)")
        return stopped
    }

    /// 8. Mount every snapshot read-only and check that it holds what it should.
    func mountSnapshots(_ plan: BackupPlan) throws {
        guard !plan.volumes.isEmpty else { return }
        try createPrivateDirectory(settings.runDirectory + "/mnt")
        try createPrivateDirectory(plan.mountRoot)
        for volume in plan.volumes {
            try Interruption.check()
            try createPrivateDirectory(volume.mountDirectory)
            let device = "/dev/\(volume.snapshot.origin.volumeGroup)/\(volume.snapshotName)"
            let type = volume.originMount.filesystemType
            try environment.mounter.mount(device: device, at: volume.mountDirectory, filesystemType: type,
                                          options: SystemMounter.snapshotOptions(filesystemType: type))
            mountedDirectories.append(volume.mountDirectory)
            log("snapshot \(device) mounted read-only at \(volume.mountDirectory)")
        }
        for source in plan.sources where source.volume != nil {
            let path = plan.readPath(of: source)
            let expected = source.directory.role == .dataDirectory ? path + "/PG_VERSION" : path
            guard FileManager.default.fileExists(atPath: expected) else {
                throw BackupError(code: .unexpectedSnapshotContents, detail: "\(expected) is missing in the snapshot")
            }
        }
    }

    /// The `<id>.partial` directory the archives are written into.
    func prepareTarget(_ plan: BackupPlan) throws -> String {
        let target = try settings.requiredTarget()
        let partial = target + "/" + plan.id + ".partial"
        guard mkdir(partial, 0o700) == 0 else {
            throw BackupError(code: .target, detail: "cannot create \(partial)", underlying: String(cString: strerror(errno)))
        }
        partialDirectory = partial
        try Leftovers.markPartial(partial)
        return partial
    }

    // MARK: - Teardown

    /// Undoes everything, in reverse order; each step is attempted even if an earlier one fails.
    /// `keepingLock` leaves the run lock held for the `post-backup` hook.
    func teardown(keepingLock: Bool = false) {
        watcher?.stopWatching()
        for directory in mountedDirectories.reversed() {
            do { try environment.mounter.unmount(directory) } catch { log("teardown: \(error.message)") }
        }
        mountedDirectories = []
        Leftovers.removeEmptyDirectories(under: settings.runDirectory + "/mnt")
        if let lvm {
            for snapshot in createdSnapshots.reversed() {
                do {
                    try lvm.removeVolume(volumeGroup: snapshot.volumeGroup, name: snapshot.name)
                    log("snapshot \(snapshot.volumeGroup)/\(snapshot.name) removed")
                } catch {
                    log("teardown: \(error.message)")
                }
            }
        }
        createdSnapshots = []
        backupMode?.abandon()
        session?.close()
        session = nil
        if let partialDirectory {
            recordFailure(in: partialDirectory)
            self.partialDirectory = nil
        }
        if !keepingLock { lock = nil }
    }

    /// The backup directory was renamed into place: teardown must no longer remove it.
    func committed() {
        partialDirectory = nil
    }

    func setWatcher(_ watcher: SnapshotWatcher) {
        self.watcher = watcher
    }

    func createPrivateDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw BackupError(code: .runDirectory, detail: "cannot create \(path)", underlying: String(cString: strerror(errno)))
        }
    }
}

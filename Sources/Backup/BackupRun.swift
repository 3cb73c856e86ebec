import Catalog
public import Configuration
import ExitStatus
import Foundation
import PostgresClient
import Preflight
import Sizing
import Storage
import SystemCalls
public import TargetLayout

/// One `pgsnap backup`, as the named stages of `BackupStage` run in order over one
/// `BackupContext`. Every stage that creates something pushes its undo step to `teardown`,
/// which runs on success, on every error and after a signal: mounts, snapshots, backup mode,
/// slot and session, and the half-written directory.
public final class BackupRun {
    public let settings: Settings
    let environment: BackupEnvironment
    let log: @Sendable (String) -> Void
    let pgsnapVersion: String
    /// Receives a progress line every second during the copy (set it only for a terminal).
    public var onProgress: (@Sendable (String) -> Void)?
    /// Receives warnings that do not fail the run (retention after a backup); `log` when nil.
    public var onWarning: (@Sendable (String) -> Void)?
    /// Sees each stage as it begins (tests assert the order).
    var onStage: ((BackupStage) -> Void)?
    /// Receives the backup's ID once it is chosen under the lock, so that every later log
    /// line of the run can carry it.
    public var onBackupID: (@Sendable (String) -> Void)?

    /// The run lock outlives teardown on purpose: `post-backup` runs under it.
    private var lock: RunLock?
    /// What teardown undoes, pushed by the stages as they create it.
    var teardown = Teardown()
    /// The backup session, once open; used from the calling thread only.
    private(set) var session: (any PostgresSession)?
    private(set) var backupMode: BackupMode?
    /// LVM, once a stage needed it (leftovers, snapshots).
    var lvm: (any LVMSnapshots)?
    /// Watches the snapshots' fill from their creation to the end of the copy.
    var watcher: SnapshotWatcher?
    /// With `snapshot_size = auto`, how each classic snapshot was sized, by origin `vg/lv`.
    var sizeChoices: [String: BackupRecord.SnapshotSizeChoice] = [:]
    /// `vg/name` of each snapshot created, for `post-snapshot`'s `PGSNAP_SNAPSHOTS`.
    private(set) var createdSnapshots: [String] = []
    /// When each snapshot's LVM command returned and how long it took, by snapshot name.
    private(set) var snapshotTimes: [String: (createdAt: Date, seconds: Double)] = [:]
    /// `lvm.commandsRun` just before the first snapshot, to count the commands inside backup mode.
    private var lvmCommandsBeforeSnapshots: Int?
    /// What the run wrote into the partial directory, checked again before the commit.
    var written = WrittenFiles()
    /// The hooks of this run (docs/hooks.md); nil until `hook_directory` was checked.
    var hooks: BackupHooks?
    // What a failed run records in `<id>.failed/backup.json` (set by a freeze too).
    var startTime: Date?
    var failure: Failure?
    /// Where a failed run's record was written, once it was (`<id>.failed`); nil when the run
    /// failed before it created anything in the target, so nothing claims a record was kept.
    public internal(set) var failedRunDirectory: String?

    public init(
        settings: Settings, environment: BackupEnvironment, pgsnapVersion: String,
        log: @escaping @Sendable (String) -> Void
    ) {
        self.settings = settings
        self.environment = environment
        self.pgsnapVersion = pgsnapVersion
        self.log = log
    }

    /// Removes what killed runs left behind, under the run lock, and nothing else.
    @discardableResult
    public func cleanup() throws -> CleanupReport {
        defer {
            teardown.run(log: log)
            lock = nil
        }
        try acquireLock()
        return try removeLeftovers()
    }

    /// Runs every stage and returns the record of the committed backup; the last stage applies
    /// the configured retention, whose failure is only a warning (the backup itself is complete).
    /// A failure after the target directory was created leaves `<id>.failed/backup.json`.
    /// The `post-backup` hook runs last, after teardown but still under the run lock.
    public func run() throws -> BackupRecord {
        let startTime = environment.clock()
        self.startTime = startTime
        var context = BackupContext(startTime: startTime)
        var outcome = Result { () throws -> BackupRecord in
            for stage in BackupStage.allCases { try perform(stage, &context) }
            return try context.require(context.record, "the backup record")
        }
        // One last reading before teardown removes the snapshots. A snapshot that overflowed
        // is the cause of whatever failed after it (a mount, a read: EIO), so it is the error.
        watcher?.stopWatching()
        if case .failure = outcome, let overflow = watcher?.abortReason { outcome = .failure(overflow) }
        if case .failure(let error) = outcome { failure = Failure(error, stop: environment.stop) }
        let tearingDown = environment.clock()
        teardown.run(log: log)
        log("stage teardown done in \(secondsSince(tearingDown)) s")
        runPostBackupHook(outcome)
        lock = nil
        return try outcome.get()
    }

    /// Runs one stage; at `info` each ends in one line with its duration (docs/operations.md:
    /// the 3 a.m. reader sees where the time went, and the last stage line before an error is
    /// where it happened).
    private func perform(_ stage: BackupStage, _ context: inout BackupContext) throws {
        onStage?(stage)
        let began = environment.clock()
        do {
            try performStage(stage, &context)
        } catch {
            log("stage \(stage.rawValue) failed after \(secondsSince(began)) s")
            throw error
        }
        log("stage \(stage.rawValue) done in \(secondsSince(began)) s")
    }

    private func performStage(_ stage: BackupStage, _ context: inout BackupContext) throws {
        switch stage {
        case .lock: try lockStage(&context)
        case .leftovers: try removeLeftovers(partials: false)
        case .plan: try planStage(&context)
        case .start: try startStage(&context)
        case .snapshot: try createSnapshotsBetweenHooks(context.requirePlan())
        case .stop: try stopStage(&context)
        case .mount: try mountSnapshots(context.requirePlan())
        case .stream: try streamStage(&context)
        case .wal: try walStage(&context)
        case .manifest: try manifestStage(context)
        case .commit: try commitStage(&context)
        case .retention: try applyRetention(after: context.require(context.record, "the backup record"))
        }
    }

    // MARK: - Stages

    /// Lock: `hook_directory` is checked before the lock is even taken (an unsafe hook stops
    /// the run before anything happens); then one run per host, the ID, and `pre-backup`.
    func lockStage(_ context: inout BackupContext) throws {
        try openHooks()
        try acquireLock()
        context.id = chooseID(startTime: context.startTime)
        try hooks?.pre(.preBackup, stop: interrupted)
    }

    /// One run per host; a second one leaves at once.
    func acquireLock() throws {
        lock = try RunLock.take(settings)
    }

    /// The end of a run that took the lock itself (a freeze): after its teardown.
    func releaseLock() {
        lock = nil
    }

    /// The ID, under the lock and before PostgreSQL is touched: the start time, or the next
    /// second not yet used in the target (two runs in the same second, a leftover of a crash).
    func chooseID(startTime: Date) -> String {
        let id = BackupID.firstFree(at: startTime, in: settings.target)
        hooks?.set("PGSNAP_BACKUP_ID", id)
        onBackupID?(id)
        return id
    }

    /// Leftovers of a crashed run: pgsnap's own mounts, tagged snapshots and (with `partials`)
    /// this host's partial directories only. Also what `pgsnap cleanup` runs. A backup removes
    /// partials only in the plan stage, once the target is known to be its cluster's: a refused
    /// run never deletes what another run is writing.
    @discardableResult
    func removeLeftovers(partials: Bool = true) throws -> CleanupReport {
        var report = CleanupReport()
        report.unmounted = try Leftovers.unmount(
            under: settings.runDirectory + "/mnt", mounter: environment.mounter, log: log)
        if partials, let target = settings.target {
            report.partialBackups = Leftovers.removePartialBackups(in: target, now: environment.clock(), log: log)
        }
        guard settings.snapshot == .lvm, environment.preflight.kernel.deviceMapperMajor != nil else { return report }
        let lvm = try environment.lvm()
        self.lvm = lvm
        report.snapshots = try Leftovers.removeSnapshots(lvm: lvm, log: log)
        return report
    }

    /// Plan: the same analysis as `pgsnap check`, then the target bound to the cluster; any
    /// problem stops the run before PostgreSQL is touched.
    func planStage(_ context: inout BackupContext) throws {
        let plan = try makePlan(id: context.id)
        try bindTarget(plan)
        if let target = settings.target {
            Leftovers.removePartialBackups(in: target, now: environment.clock(), log: log)
        }
        describeToHooks(plan)
        context.plan = plan
        try environment.stop.check()
    }

    /// `sizing`: with `snapshot_size = auto`, sample the writes and size the snapshots (not
    /// for a dry run, which changes and waits for nothing).
    func makePlan(id: String, sizing: Bool = true) throws -> BackupPlan {
        let report = Preflight(settings: settings, environment: environment.preflight).run()
        for problem in report.problems { log("problem: \(problem.message) — \(problem.hint)") }
        if let first = report.problems.first {
            let more = report.problems.count > 1 ? " ('pgsnap check' lists all \(report.problems.count) problems)" : ""
            throw BackupError(
                code: .notReady, detail: first.message, underlying: nil, status: report.exitStatus,
                problemHint: first.hint + more)
        }
        var sized = report
        if sizing, settings.snapshot == .lvm, settings.snapshotSize == .auto { try sizeSnapshots(&sized) }
        return try BackupPlan(id: id, report: sized, settings: settings)
    }

    /// `snapshot_size = auto`: a sample of the origins' writes (`snapshot_size_sample`
    /// seconds) and this cluster's history size each classic snapshot, before backup mode.
    func sizeSnapshots(_ report: inout CheckReport) throws {
        let estimate = EstimateRun(
            settings: settings, environment: environment.preflight, sampleSeconds: settings.snapshotSizeSample,
            probe: false, stop: environment.stop, log: log)
        let choices = try estimate.autoSizes(report)
        for index in report.snapshots.indices {
            let origin = report.snapshots[index].origin.path
            guard let choice = choices[origin] else { continue }
            report.snapshots[index].sizeBytes = choice.chosenBytes
            log("snapshot of \(origin) sized \(ByteCount(choice.chosenBytes)): \(Self.describe(choice))")
        }
        sizeChoices = choices
    }

    /// One line of why: `1.2 MiB/s for 95 s (history), peak 40 MiB → 140 MiB, raised to the minimum`.
    static func describe(_ choice: BackupRecord.SnapshotSizeChoice) -> String {
        let rate = ByteCount(UInt64(choice.bytesPerSecond))
        var text =
            "auto: \(rate)/s written for \(Int(choice.snapshotLifeSeconds)) s of snapshot life (\(choice.lifeSource))"
        if let peak = choice.historyPeakBytes { text += ", history peak \(ByteCount(peak))" }
        text += " → \(ByteCount(choice.recommendedBytes)) with the safety factor"
        switch choice.limitedBy {
        case "minimum": text += ", raised to snapshot_size_min"
        case "maximum": text += ", capped at snapshot_size_max"
        case "volume_group": text += ", cut to the volume group's free space"
        default: break
        }
        return text
    }

    /// The target holds one cluster's backups (docs/target.md): the first backup binds it,
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
            binding = try TargetBinding(
                systemIdentifier: owner.systemIdentifier ?? cluster, boundAt: environment.clock(),
                pgsnapVersion: pgsnapVersion
            ).write(target: target)
            log("backup target \(target) bound to cluster \(binding.systemIdentifier)")
        }
        guard binding.systemIdentifier == cluster else {
            throw CatalogError.otherCluster(target: target, owner: binding.systemIdentifier, cluster: cluster)
        }
    }

    /// Start: backup mode on one session kept for the whole window, with WAL reserved by a
    /// temporary slot.
    func startStage(_ context: inout BackupContext) throws {
        let started = try startBackupMode(context.requirePlan())
        context.started = started
        context.backupModeStart = environment.clock()
        hooks?.set("PGSNAP_START_LSN", started.lsn.description)
    }

    func startBackupMode(_ plan: BackupPlan) throws -> BackupMode.Started {
        let session = try environment.connect(settings.conninfo)
        self.session = session
        teardown.push("session") { [self] in
            session.close()
            self.session = nil
        }
        let mode = BackupMode(session: session)
        backupMode = mode
        // Ends backup mode and drops the slot, whichever of them exists by then.
        teardown.push("backup mode") { mode.abandon() }
        try mode.prepareSession()
        try mode.reserveWAL(slotName: "pgsnap_" + plan.id.lowercased())
        let started = try mode.start(
            label: settings.label ?? "pgsnap \(plan.id)", fastCheckpoint: settings.fastCheckpoint)
        log("backup mode started at \(started.lsn)")
        return started
    }

    /// Snapshot: one per logical volume, tagged as pgsnap's, each in one LVM command since this
    /// runs inside backup mode (between the hooks: see `createSnapshotsBetweenHooks`).
    func createSnapshots(_ plan: BackupPlan) throws {
        guard !plan.volumes.isEmpty else { return }
        let lvm = try self.lvm ?? environment.lvm()
        self.lvm = lvm
        lvmCommandsBeforeSnapshots = lvm.commandsRun
        for volume in plan.volumes {
            try environment.stop.check()
            let origin = volume.snapshot.origin
            let before = environment.clock()
            try lvm.createSnapshot(
                of: origin, name: volume.snapshotName, sizeBytes: volume.snapshot.sizeBytes,
                tags: [Leftovers.tag])
            let created = environment.clock()
            let name = "\(origin.volumeGroup)/\(volume.snapshotName)"
            createdSnapshots.append(name)
            snapshotTimes[volume.snapshotName] = (created, created.timeIntervalSince(before))
            teardown.push("snapshot \(name)") { [log] in
                try lvm.removeVolume(volumeGroup: origin.volumeGroup, name: volume.snapshotName)
                log("snapshot \(name) removed")
            }
            log("snapshot \(name) of \(origin.path) created in \(Self.seconds(created.timeIntervalSince(before))) s")
        }
        startWatchingSnapshots(plan)
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The run's clock since `start`, as the log prints durations.
    func secondsSince(_ start: Date) -> String { Self.seconds(environment.clock().timeIntervalSince(start)) }

    /// Stop: backup mode ends as soon as the last snapshot exists. Without snapshots it ends in
    /// `stream`, once every data file is read.
    func stopStage(_ context: inout BackupContext) throws {
        guard try !context.requirePlan().volumes.isEmpty else { return }
        try endBackupMode(&context)
    }

    /// The one place backup mode ends, always on the calling thread.
    func endBackupMode(_ context: inout BackupContext) throws {
        guard let backupMode else { throw BackupError(code: .notReady, detail: "backup mode was never started") }
        let stopped = try stopWaitingForArchive(backupMode)
        log("backup mode stopped at \(stopped.lsn)")
        context.stopped = stopped
        let start = try context.require(context.backupModeStart, "the start of backup mode")
        let end = environment.clock()
        context.backupModeSeconds = end.timeIntervalSince(start)
        let commands = lvmCommandsBeforeSnapshots.map { (lvm?.commandsRun ?? $0) - $0 } ?? 0
        context.backupModeWindow = BackupRecord.BackupModeWindow(
            startedAt: start, stoppedAt: end, lvmCommands: commands)
        log(
            "backup mode window \(Self.seconds(end.timeIntervalSince(start))) s: "
                + "\(createdSnapshots.count) snapshot(s), \(commands) LVM command(s)")
    }

    /// Mount: every snapshot read-only, checked to hold what it should.
    func mountSnapshots(_ plan: BackupPlan) throws {
        guard !plan.volumes.isEmpty else { return }
        try createPrivateDirectory(settings.runDirectory + "/mnt")
        // Runs after every unmount below: the mount points go once they are empty.
        teardown.push("mount directories") { [settings] in
            Leftovers.removeEmptyDirectories(under: settings.runDirectory + "/mnt")
        }
        try createPrivateDirectory(plan.mountRoot)
        for volume in plan.volumes {
            try environment.stop.check()
            try mount(volume)
        }
        for source in plan.sources where source.volume != nil {
            let path = plan.readPath(of: source)
            let expected = source.directory.role == .dataDirectory ? path + "/PG_VERSION" : path
            guard FileManager.default.fileExists(atPath: expected) else {
                throw BackupError(code: .unexpectedSnapshotContents, detail: "\(expected) is missing in the snapshot")
            }
        }
    }

    private func mount(_ volume: BackupPlan.Volume) throws {
        try createPrivateDirectory(volume.mountDirectory)
        let device = "/dev/\(volume.snapshot.origin.volumeGroup)/\(volume.snapshotName)"
        let type = volume.originMount.filesystemType
        let mounter = environment.mounter
        try mounter.mount(
            device: device, at: volume.mountDirectory, filesystemType: type,
            options: SystemMounter.snapshotOptions(filesystemType: type))
        teardown.push("mount \(volume.mountDirectory)") { try mounter.unmount(volume.mountDirectory) }
        log("snapshot \(device) mounted read-only at \(volume.mountDirectory)")
    }

    /// The `<id>.partial` directory the archives are written into. Until the commit renames it,
    /// teardown turns it into a failed run's record.
    func prepareTarget(_ plan: BackupPlan) throws -> String {
        let target = try settings.requiredTarget()
        let partial = try Leftovers.createPartial(in: target, id: plan.id)
        teardown.push(Self.partialStep) { [self] in recordFailure(in: partial) }
        return partial
    }

    static let partialStep = "partial directory"

    func createPrivateDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw BackupError(
                code: .runDirectory, detail: "cannot create \(path)", underlying: Errno.current.description)
        }
    }
}

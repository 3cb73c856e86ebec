import Catalog
public import Configuration
import ExitStatus
import Foundation
import PostgresClient
public import Preflight
import Storage
public import TargetLayout

/// One `pgsnap estimate`: `check`'s plan, the history of this cluster's backups in the
/// target, a sample of every origin's writes (and with `probe`, a real temporary snapshot of
/// each classic origin), then `SizingEstimator`'s verdicts. It never touches PostgreSQL's
/// backup state: the server is only asked for its WAL position and counters.
public struct EstimateRun {
    public var settings: Settings
    public var environment: PreflightEnvironment
    public var sampleSeconds: Double
    public var probe: Bool
    public var stop: StopToken
    public var log: (String) -> Void

    public init(
        settings: Settings, environment: PreflightEnvironment, sampleSeconds: Double, probe: Bool, stop: StopToken,
        log: @escaping (String) -> Void
    ) {
        self.settings = settings
        self.environment = environment
        self.sampleSeconds = sampleSeconds
        self.probe = probe
        self.stop = stop
        self.log = log
    }

    /// The report; a signal during the sample ends it early (the probes are removed) and is
    /// thrown as `SizingError.interrupted` for exit 8.
    public func run() throws(SizingError) -> SizingReport {
        var report = SizingReport()
        let check = Preflight(settings: settings, environment: environment).run()
        report.problems = check.problems
        guard check.ok, !check.snapshots.isEmpty else { return report }
        let records = history()
        let probe = try probe ? makeProbe(check.snapshots) : nil
        var sample: Sample
        do {
            sample = try takeSample(check.snapshots, probe: probe)
        } catch {
            try removeProbe(probe)
            throw error
        }
        try removeProbe(probe)
        report.sampleSeconds = sample.seconds
        report.probed = probe != nil
        report.walBytesPerSecond = sample.walBytes.map { Double($0) / sample.seconds }
        report.walFullPageImagesPerSecond = sample.fullPageImages.map { Double($0) / sample.seconds }
        report.walVolume = Self.walVolume(check)
        let inputs = estimatorInputs(check.snapshots, check: check, sample: sample, records: records, report: &report)
        report.volumes = SizingEstimator.estimate(
            inputs, thinPoolDangerThreshold: Double(settings.thinPoolDangerThreshold))
        let auto = AutoSnapshotSize.choose(
            inputs, minimum: settings.snapshotSizeMin, maximum: settings.snapshotSizeMax,
            autoextendThreshold: settings.snapshotAutoextendThreshold)
        for index in report.volumes.indices {
            guard let choice = auto[report.volumes[index].origin] else { continue }
            report.volumes[index].autoBytes = choice.chosenBytes
            report.volumes[index].autoLimitedBy = choice.limitedBy
        }
        report.expectedBackupModeSeconds = inputs.compactMap(\.history?.backupModeSeconds).max()
        return report
    }

    struct Sample {
        var seconds: Double
        var volumes: [String: VolumeSample]
        var walBytes: UInt64?
        var fullPageImages: UInt64?
        /// The server's `wal_segment_size` (16 MiB when it could not be read).
        var walSegmentBytes: UInt64 = 16 << 20
    }

    /// The snapshotted volume that holds pg_wal (the data directory's, unless pg_wal is a link
    /// to another volume, which is never snapshotted).
    static func walVolume(_ check: CheckReport) -> String? {
        let wal = check.directories.first { $0.directory.role == .wal }?.location?.logicalVolume?.path
        return check.snapshots.contains { $0.origin.path == wal } ? wal : nil
    }

    /// The last complete backups' records, newest first, each read and checked as every reader
    /// of a record does (StoredBackup); none without a readable target.
    public func history() -> [BackupRecord] {
        guard let target = settings.target, let catalog = try? BackupCatalog(target: target, lockPath: nil) else {
            return []
        }
        var boundAt: Date?
        if case .bound(let binding) = catalog.owner { boundAt = binding.boundAt }
        return catalog.entries.filter(\.restorable).sorted { $0.id > $1.id }.prefix(20).compactMap { entry in
            try? StoredBackup.readCheckedRecord(directory: entry.path, id: entry.id, boundAt: boundAt).record
        }
    }

    private func makeProbe(_ snapshots: [PlannedSnapshot]) throws(SizingError) -> SizingProbe {
        let storage: (any LVMSnapshots, any DeviceMapper)
        do throws(StorageError) {
            let lvm = try environment.lvm()
            guard let snapshots = lvm as? any LVMSnapshots else {
                throw StorageError(code: .lvmFailed, detail: "this LVM cannot create snapshots")
            }
            storage = (snapshots, try environment.deviceMapper())
        } catch {
            throw SizingError(code: .probeFailed, detail: "cannot reach LVM for the probe", underlying: error.message)
        }
        let probe = SizingProbe(lvm: storage.0, deviceMapper: storage.1, log: log)
        let now = Date()
        do {
            for planned in snapshots where planned.origin.kind == .classic {
                guard let size = SizingProbe.size(planned: planned.sizeBytes, origin: planned.origin) else {
                    log("no probe of \(planned.origin.path): its volume group has no room for one")
                    continue
                }
                try probe.create(of: planned.origin, sizeBytes: size, at: now)
            }
            try probe.startWindow()
        } catch {
            try? probe.remove()
            throw SizingError(code: .probeFailed, detail: "the probe snapshot failed", underlying: error.message)
        }
        return probe
    }

    private func removeProbe(_ probe: SizingProbe?) throws(SizingError) {
        do {
            try probe?.remove()
        } catch {
            throw SizingError(
                code: .probeFailed, detail: "a probe snapshot could not be removed", underlying: error.message)
        }
    }
}

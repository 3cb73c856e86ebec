import Catalog
import ExitStatus
import Foundation
import Sizing
import TargetLayout

extension BackupRun {
    /// `backup --dry-run`: the plan a real run would execute — the snapshots with their sizes,
    /// the mounts, the archives and where they are read from, the hooks that would run, the
    /// size and length the last backups of this cluster had — with nothing changed: no lock,
    /// no hook run, no backup mode, no snapshot, no sample (`snapshot_size = auto` shows its
    /// least size), nothing written to the target. A problem is the same one line and exit
    /// status as the real run's.
    public func dryRun() throws -> DryRunReport {
        let plan = try makePlan(id: "DRYRUN", sizing: false)
        var report = DryRunReport(snapshotMode: settings.snapshot.rawValue, target: settings.target)
        report.snapshots = plan.volumes.map { volume in
            DryRunReport.Snapshot(
                origin: volume.snapshot.origin.path, type: volume.snapshot.origin.kind.rawValue,
                snapshotBytes: volume.snapshot.sizeBytes, snapshotSizeAuto: volume.snapshot.autoSized,
                snapshotName: String(volume.snapshotName.dropLast("DRYRUN".count)) + "<id>",
                mountDirectory: settings.runDirectory + "/mnt/<id>/" + volume.snapshot.origin.volumeGroup + "-"
                    + volume.snapshot.origin.name)
        }
        for source in plan.sources {
            let name: String
            switch source.directory.role {
            case .dataDirectory: name = BackupFiles.baseArchive
            case .tablespace: name = BackupFiles.tablespaceArchive(oid: source.directory.oid ?? 0)
            case .wal: continue
            }
            let read = plan.readPath(of: source).replacingOccurrences(of: "/DRYRUN/", with: "/<id>/")
            report.archives.append(
                DryRunReport.Archive(archive: name, directory: source.directory.path, readFrom: read))
        }
        report.archives.append(
            DryRunReport.Archive(
                archive: BackupFiles.walArchive, directory: "pg_wal",
                readFrom: settings.walArchive ?? "pg_wal of the live server, after backup mode ends"))
        if let directory = settings.hookDirectory {
            for event in HookEvent.allCases {
                guard let path = try HookDirectory.executable(event, in: directory, warn: log) else { continue }
                report.hooks.append(DryRunReport.Hook(event: event.rawValue, path: path))
            }
        }
        report.expected = Self.expected(from: historyRecords())
        report.maxRateBytesPerSecond = settings.maxRate
        return report
    }

    /// The last complete backups' records (newest first), as `estimate` reads them.
    func historyRecords() -> [BackupRecord] {
        EstimateRun(
            settings: settings, environment: environment.preflight, sampleSeconds: 0, probe: false,
            stop: environment.stop, log: log
        ).history()
    }

    static func expected(from records: [BackupRecord]) -> DryRunReport.Expected? {
        let recent = Array(records.prefix(SizingHistory.limit))
        guard !recent.isEmpty else { return nil }
        func median(_ values: [Double]) -> Double { SizingHistory.median(values) }
        return DryRunReport.Expected(
            bytesRead: UInt64(median(recent.map { Double($0.bytesRead) })),
            bytesWritten: UInt64(median(recent.map { Double($0.bytesWritten) })),
            seconds: median(recent.map { $0.stopTime.timeIntervalSince($0.startTime) }), backups: recent.map(\.id))
    }
}

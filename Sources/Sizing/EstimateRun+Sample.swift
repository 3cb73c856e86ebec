import Foundation
import PostgresClient
import Preflight
import Storage
import TargetLayout

extension EstimateRun {
    /// The sample window: block-layer counters of every origin, the server's WAL position and
    /// full-page images, and the probes' growth, at its start and end. Interruptible every
    /// 0.2 s.
    func takeSample(_ snapshots: [PlannedSnapshot], probe: SizingProbe?) throws(SizingError) -> Sample {
        let session = try? environment.connect(settings.conninfo)
        defer { session?.close() }
        let walStart = session.flatMap(Self.walPosition)
        let imagesStart = session.flatMap(Self.fullPageImages)
        let devices = snapshots.compactMap { planned in planned.origin.device.map { (planned.origin.path, $0) } }
        let before = devices.compactMap { path, device in
            (try? BlockDeviceStat.read(device)).map { (path, device, $0) }
        }
        // The probes' window restarts here, next to the block counters' first reading: one
        // window for both, so the probe (exact) is comparable with its upper bound. (It began
        // at the probes' creation before, and the connection above made it seconds longer
        // under emulation: VM 36 saw a probe rate 18% over the block rate.)
        do {
            try probe?.startWindow()
        } catch {
            throw SizingError(code: .probeFailed, detail: "cannot read a probe snapshot", underlying: error.message)
        }
        let start = Date()
        log("sampling the writes of \(snapshots.count) volume(s) for \(Int(sampleSeconds)) s")
        while Date().timeIntervalSince(start) < sampleSeconds {
            if let signal = stop.signal() { throw SizingError.interrupted(signal) }
            Thread.sleep(forTimeInterval: min(0.2, max(0, sampleSeconds - Date().timeIntervalSince(start))))
        }
        let seconds = Date().timeIntervalSince(start)
        var volumes: [String: VolumeSample] = [:]
        for (path, device, first) in before {
            guard let last = try? BlockDeviceStat.read(device) else { continue }
            let written = last.bytesWritten >= first.bytesWritten ? last.bytesWritten - first.bytesWritten : 0
            volumes[path] = VolumeSample(origin: path, seconds: seconds, blockBytesWritten: written)
        }
        if let probe {
            do {
                for (path, bytes) in try probe.growth() { volumes[path]?.probeBytes = bytes }
            } catch {
                throw SizingError(code: .probeFailed, detail: "cannot read a probe snapshot", underlying: error.message)
            }
        }
        let walEnd = session.flatMap(Self.walPosition)
        let imagesEnd = session.flatMap(Self.fullPageImages)
        var sample = Sample(
            seconds: seconds, volumes: volumes, walBytes: Self.delta(walStart, walEnd),
            fullPageImages: Self.delta(imagesStart, imagesEnd))
        if let bytes = session.flatMap({ try? BackupMode(session: $0).walSegmentSize() }), bytes > 0, bytes <= 1 << 30 {
            sample.walSegmentBytes = bytes
        }
        return sample
    }

    static func delta(_ first: UInt64?, _ last: UInt64?) -> UInt64? {
        guard let first, let last else { return nil }
        return last >= first ? last - first : 0
    }

    /// Bytes of WAL since 0/0 (on a standby: replayed).
    static func walPosition(_ session: any PostgresSession) -> UInt64? {
        let sql = """
            SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
            ELSE pg_current_wal_lsn() END, '0/0')::bigint::text
            """
        return (try? session.query(sql).scalar()).flatMap { $0.flatMap { UInt64($0) } }
    }

    /// `pg_stat_wal.wal_fpi` (PostgreSQL 14 and later); nil where the view lacks it.
    static func fullPageImages(_ session: any PostgresSession) -> UInt64? {
        (try? session.query("SELECT wal_fpi::text FROM pg_stat_wal").scalar()).flatMap { $0.flatMap { UInt64($0) } }
    }

    /// One estimator input per planned snapshot, from the sample, the history and the copy's
    /// expected length: what `estimate` and `snapshot_size = auto` both project from.
    func estimatorInputs(
        _ planned: [PlannedSnapshot], check: CheckReport, sample: Sample, records: [BackupRecord],
        report: inout SizingReport
    ) -> [SizingEstimator.Input] {
        let bytes = snapshottedBytes(check)
        let copySeconds = measuredCopySeconds(check, bytes: bytes, records: records, report: &report)
        let walVolume = Self.walVolume(check)
        return planned.map { snapshot in
            var input = SizingEstimator.Input(
                planned: snapshot,
                sample: sample.volumes[snapshot.origin.path]
                    ?? VolumeSample(origin: snapshot.origin.path, seconds: sample.seconds, blockBytesWritten: 0),
                history: SizingHistory.of(origin: snapshot.origin.path, in: records),
                measuredCopySeconds: copySeconds, pool: pool(of: snapshot, in: check),
                walSwitchBytes: snapshot.origin.path == walVolume ? sample.walSegmentBytes : 0)
            input.rateLimitedCopySeconds = settings.maxRate.map { Double(bytes) / Double($0) } ?? 0
            return input
        }
    }

    /// The used bytes of the file systems on the origins a backup snapshots: what its copy reads.
    func snapshottedBytes(_ check: CheckReport) -> UInt64 {
        let origins = Set(check.snapshots.map(\.origin.path))
        var mountPoints = Set<String>()
        for directory in check.directories {
            guard let location = directory.location, let volume = location.logicalVolume,
                origins.contains(volume.path), let mount = location.mount
            else { continue }
            mountPoints.insert(mount.mountPoint)
        }
        return mountPoints.reduce(UInt64(0)) { $0 + Self.usedBytes($1) }
    }

    /// The copy's expected length: the median of the last backups', or without history
    /// `bytes` at a measured read-and-compress rate; never shorter than `bytes` at `max_rate`,
    /// which paces the copy whatever the disk can do.
    func measuredCopySeconds(
        _ check: CheckReport, bytes: UInt64, records: [BackupRecord], report: inout SizingReport
    ) -> Double {
        let copies = records.prefix(SizingHistory.limit).compactMap(SizingHistory.copySeconds)
        var seconds: Double
        if !copies.isEmpty {
            seconds = SizingHistory.median(copies)
            report.copySource = "history"
        } else {
            let rate = CopyRateSample.measure(
                directory: check.server?.dataDirectory ?? "", level: settings.compressLevel,
                workers: settings.compressWorkers, stop: { stop.isStopped })
            seconds = rate.map { Double(bytes) / $0 } ?? 0
            report.copySource = rate == nil ? "unknown" : "measured"
        }
        if let maxRate = settings.maxRate, Double(bytes) / Double(maxRate) > seconds {
            seconds = Double(bytes) / Double(maxRate)
            report.copySource = "max_rate"
        }
        report.expectedCopySeconds = seconds
        return seconds
    }

    static func usedBytes(_ mountPoint: String) -> UInt64 {
        var facts = statvfs()
        guard statvfs(mountPoint, &facts) == 0 else { return 0 }
        return UInt64(facts.f_blocks - facts.f_bfree) * UInt64(facts.f_frsize)
    }

    /// A thin snapshot's pool, from `check`'s look at the directories on the origin.
    func pool(of planned: PlannedSnapshot, in check: CheckReport) -> (
        name: String, sizeBytes: UInt64, dataPercent: Double
    )? {
        guard planned.origin.kind == .thin else { return nil }
        let pool = check.directories.first {
            $0.location?.logicalVolume?.path == planned.origin.path && $0.pool != nil
        }?
        .pool
        guard let pool else { return nil }
        return (pool.path, pool.sizeBytes, pool.dataPercent ?? 0)
    }
}

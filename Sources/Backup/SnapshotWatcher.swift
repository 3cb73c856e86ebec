import ExitStatus
import Foundation
import Preflight
import Storage
import TargetLayout

/// Watches the fill of every classic snapshot and thin pool from the moment the snapshots
/// exist until the copy ends: the mount and the listing read the snapshots too, and a busy
/// origin can fill a small snapshot before the first archive byte is written.
///
/// A snapshot that overflows is silently invalidated by device-mapper and its reads start
/// failing or, worse, return garbage; a thin pool that fills turns its origins read-only. The
/// watcher acts on `FillPolicy`'s decisions: it extends a filling classic snapshot while its VG
/// has extents (pgsnap's own autoextend, without dmeventd), aborts early when the fill projects
/// past 100% and it cannot grow, saying how large the snapshot should have been, and fails the
/// backup when a thin pool passes its danger threshold, so teardown removes its thin snapshots
/// before the pool fills.
final class SnapshotWatcher: @unchecked Sendable {
    struct Target {
        var deviceMapperName: String
        var displayName: String
        var sizeBytes: UInt64
        /// A thin pool behind thin snapshots, rather than a classic snapshot's own store.
        var isThinPool = false
        /// The snapshot LV, for extensions (classic snapshots only).
        var volumeGroup = ""
        var logicalVolume = ""
    }

    private var targets: [Target]
    private let deviceMapper: any DeviceMapper
    /// Extends snapshots; nil: no autoextend (the decisions still abort early).
    private let lvm: (any LVMSnapshots)?
    private let policy: FillPolicy
    private var extensions: [String: [BackupRecord.Extension]] = [:]
    /// Snapshots whose extension failed once: not tried again, the early abort still applies.
    private var extensionFailed: Set<String> = []
    private let interval: Double
    /// The copy's progress once it runs (`copyStarted`); before, no projection is made.
    private var progress: (@Sendable () -> (done: UInt64, total: UInt64))?
    /// Each classic snapshot's used sectors when the copy started: what the snapshot took
    /// before it is not projected over the copy (by display name).
    private var usedAtCopyStart: [String: UInt64] = [:]
    private var copyStart: Date?
    private var lastUsed: [String: UInt64] = [:]
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private let checkLock = NSLock()
    private var stopped = false
    private var failure: BackupError?
    private var peaks: [String: Double] = [:]
    private var histories: [String: FillHistory] = [:]
    private var lastLogged: [String: Int] = [:]
    private var thread: Thread?
    private let start = Date()

    init(
        targets: [Target], deviceMapper: any DeviceMapper, lvm: (any LVMSnapshots)?, policy: FillPolicy,
        interval: Double, log: @escaping @Sendable (String) -> Void
    ) {
        self.targets = targets
        self.deviceMapper = deviceMapper
        self.lvm = lvm
        self.policy = policy
        self.interval = interval
        self.log = log
    }

    /// The copy begins: from now on the fill is projected to its end from `progress`, counting
    /// only what the snapshots took since this moment.
    func copyStarted(progress: @escaping @Sendable () -> (done: UInt64, total: UInt64)) {
        lock.lock()
        self.progress = progress
        usedAtCopyStart = lastUsed
        copyStart = Date()
        lock.unlock()
    }

    /// The reason to abort, once there is one.
    var abortReason: BackupError? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Highest fill seen per snapshot (by display name), in percent.
    var peakFill: [String: Double] {
        lock.lock()
        defer { lock.unlock() }
        return peaks
    }

    /// Each snapshot's fill over the copy (by display name), bounded (`FillHistory`).
    var fillHistory: [String: [BackupRecord.FillSample]] {
        lock.lock()
        defer { lock.unlock() }
        return histories.mapValues(\.curve)
    }

    /// Each snapshot's extensions during the copy (by display name).
    var extensionsMade: [String: [BackupRecord.Extension]] {
        lock.lock()
        defer { lock.unlock() }
        return extensions
    }

    func startWatching() {
        guard !targets.isEmpty else { return }
        let thread = Thread { [self] in
            while !isStopped {
                checkOnce(last: false)
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "pgsnap-watch"
        self.thread = thread
        thread.start()
    }

    /// Stops the thread and takes one last reading, so an overflow at the very end still counts.
    /// Idempotent: the stream stage stops it on its way out whatever happened.
    func stopWatching() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        checkOnce(last: true)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// One reading of every target, from the watcher's thread and once more from
    /// `stopWatching`: `checkLock` keeps the two from overlapping (`targets` changes on extension).
    /// A reading of the thread that finds the watcher stopped is skipped: after the last one,
    /// teardown may already be removing the snapshots.
    func checkOnce(last: Bool) {
        checkLock.lock()
        defer { checkLock.unlock() }
        if !last && isStopped { return }
        for index in targets.indices {
            if targets[index].isThinPool {
                checkPool(targets[index])
                continue
            }
            let status: SnapshotStatus
            do {
                status = try deviceMapper.snapshotStatus(name: targets[index].deviceMapperName)
            } catch {
                record(
                    BackupError(
                        code: .snapshotOverflow,
                        detail: "cannot read the status of snapshot \(targets[index].displayName)",
                        underlying: error.message))
                continue
            }
            evaluate(status, of: index)
        }
    }

    /// Thin snapshots fail together with their pool: past the danger threshold the backup
    /// fails, so teardown removes the thin snapshots (and their exclusive blocks) in time.
    private func checkPool(_ target: Target) {
        do {
            let status = try deviceMapper.thinPoolStatus(name: target.deviceMapperName)
            note(status.percentUsed, bytes: nil, for: target)
            switch policy.decide(status) {
            case .keep: break
            case .failed:
                record(
                    BackupError(
                        code: .snapshotOverflow,
                        detail: "thin pool \(target.displayName) ran out of space or failed during the copy"))
            case .danger(let data, let metadata):
                record(
                    BackupError(
                        code: .thinPoolDanger,
                        detail:
                            "thin pool \(target.displayName) is \(Int(data))% full (metadata \(Int(metadata))%) during the copy; the backup stops and removes its thin snapshots before the pool fills",
                        underlying: "thin_pool_danger_threshold is \(Int(policy.thinPoolDangerThreshold))%"))
            }
        } catch {
            record(
                BackupError(
                    code: .snapshotOverflow, detail: "cannot read the status of thin pool \(target.displayName)",
                    underlying: error.message))
        }
    }

    /// Records the reading and the peak, and logs each 25% step once.
    private func note(_ percent: Double, bytes: UInt64?, for target: Target) {
        lock.lock()
        peaks[target.displayName] = max(peaks[target.displayName] ?? 0, percent)
        histories[target.displayName, default: FillHistory()].add(
            BackupRecord.FillSample(seconds: Date().timeIntervalSince(start), percent: percent, bytes: bytes))
        let step = Int(percent / 25)
        let shouldLog = step > (lastLogged[target.displayName] ?? 0)
        if shouldLog { lastLogged[target.displayName] = step }
        lock.unlock()
        if shouldLog {
            log("\(target.isThinPool ? "thin pool" : "snapshot") \(target.displayName) is \(Int(percent))% full")
        }
    }

    private func evaluate(_ status: SnapshotStatus, of index: Int) {
        let target = targets[index]
        note(status.percentUsed, bytes: (status.usedSectors + status.metadataSectors) * 512, for: target)
        var reading = reading(status, of: target)
        let (done, total) = (reading.done, reading.total)
        // The VG's free space is read only when the policy may want it (an lvs per reading
        // would be needless LVM traffic during the copy).
        if policy.wantsRoom(reading), let space = freeSpace(of: target) {
            (reading.volumeGroupFreeBytes, reading.extentBytes) = space
        }
        switch policy.decide(reading) {
        case .keep: break
        case .overflowed:
            record(
                BackupError(
                    code: .snapshotOverflow,
                    detail:
                        "snapshot \(target.displayName) overflowed (\(ByteCount(target.sizeBytes))) and was invalidated"
                ))
        case .extend(let bytes):
            extend(index, by: bytes, percent: status.percentUsed, free: reading.volumeGroupFreeBytes)
        case .abort(let needed):
            let copied = Int(Double(done) * 100 / Double(max(total, 1)))
            record(
                BackupError(
                    code: .snapshotOverflow,
                    detail:
                        "snapshot \(target.displayName) is \(Int(status.percentUsed))% full after \(copied)% of the copy and would overflow",
                    underlying:
                        "it should be at least \(ByteCount(needed)) (snapshot_size); its volume group has \(ByteCount(reading.volumeGroupFreeBytes)) free to extend it"
                ))
        }
    }

    /// The policy's view of one status: the copy's progress once it runs, what the store held
    /// when it began.
    private func reading(_ status: SnapshotStatus, of target: Target) -> FillPolicy.Reading {
        lock.lock()
        let (progress, copyStart) = (self.progress, self.copyStart)
        lastUsed[target.displayName] = status.usedSectors + status.metadataSectors
        let baseline = usedAtCopyStart[target.displayName] ?? 0
        lock.unlock()
        let (done, total) = progress?() ?? (0, 0)
        return FillPolicy.Reading(
            status: status, sizeBytes: target.sizeBytes, volumeGroupFreeBytes: 0, extentBytes: 0, done: done,
            total: total, projectable: copyStart.map { Date().timeIntervalSince($0) > 2 * interval } ?? false,
            usedSectorsAtCopyStart: baseline)
    }

    /// The free space and extent size of the snapshot's VG; nil when LVM cannot say (or there
    /// is no LVM to extend with), which leaves only the early abort.
    private func freeSpace(of target: Target) -> (UInt64, UInt64)? {
        guard let lvm, !extensionFailed.contains(target.displayName) else { return nil }
        let volume = try? lvm.logicalVolumes().first {
            $0.volumeGroup == target.volumeGroup && $0.name == target.logicalVolume
        }
        return volume.map { ($0.volumeGroupFreeBytes, $0.volumeGroupExtentBytes) }
    }

    private func extend(_ index: Int, by bytes: UInt64, percent: Double, free: UInt64) {
        let target = targets[index]
        guard let lvm else { return }
        do {
            try lvm.extendVolume(volumeGroup: target.volumeGroup, name: target.logicalVolume, byBytes: bytes)
        } catch {
            lock.lock()
            extensionFailed.insert(target.displayName)
            lock.unlock()
            log("snapshot \(target.displayName) could not be extended: \(error.message)")
            return
        }
        let newSize = target.sizeBytes + bytes
        targets[index].sizeBytes = newSize
        lock.lock()
        extensions[target.displayName, default: []].append(
            BackupRecord.Extension(
                seconds: Date().timeIntervalSince(start), fillPercent: percent, fromBytes: target.sizeBytes,
                toBytes: newSize))
        lock.unlock()
        log(
            "snapshot \(target.displayName) is \(Int(percent))% full: extended by \(ByteCount(bytes)) to \(ByteCount(newSize)) (its volume group had \(ByteCount(free)) free)"
        )
    }

    private func record(_ error: BackupError) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }
}

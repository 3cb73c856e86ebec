import ExitStatus
import Foundation
import Preflight
import Storage

/// Watches the fill of every classic snapshot while the copy runs.
///
/// A snapshot that overflows is silently invalidated by device-mapper and its reads start
/// failing or, worse, return garbage. The watcher turns that into a clear failure, and aborts
/// early when the fill rate projects past 100% before the copy can end, saying how large the
/// snapshot should have been.
final class SnapshotWatcher: @unchecked Sendable {
    struct Target {
        var deviceMapperName: String
        var displayName: String
        var sizeBytes: UInt64
        /// A thin pool behind thin snapshots, rather than a classic snapshot's own store.
        var isThinPool = false
    }

    private let targets: [Target]
    private let deviceMapper: any DeviceMapper
    private let interval: Double
    private let progress: @Sendable () -> (done: UInt64, total: UInt64)
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var stopped = false
    private var failure: BackupError?
    private var peaks: [String: Double] = [:]
    private var lastLogged: [String: Int] = [:]
    private var thread: Thread?
    private let start = Date()

    init(
        targets: [Target], deviceMapper: any DeviceMapper, interval: Double,
        progress: @escaping @Sendable () -> (done: UInt64, total: UInt64), log: @escaping @Sendable (String) -> Void
    ) {
        self.targets = targets
        self.deviceMapper = deviceMapper
        self.interval = interval
        self.progress = progress
        self.log = log
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

    func startWatching() {
        guard !targets.isEmpty else { return }
        let thread = Thread { [self] in
            while !isStopped {
                checkOnce()
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
        checkOnce()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func checkOnce() {
        for target in targets {
            if target.isThinPool {
                checkPool(target)
                continue
            }
            let status: SnapshotStatus
            do {
                status = try deviceMapper.snapshotStatus(name: target.deviceMapperName)
            } catch {
                record(
                    BackupError(
                        code: .snapshotOverflow, detail: "cannot read the status of snapshot \(target.displayName)",
                        underlying: error.message))
                continue
            }
            evaluate(status, of: target)
        }
    }

    /// Thin snapshots fail together with their pool: out of space, read-only or failing.
    private func checkPool(_ target: Target) {
        do {
            let status = try deviceMapper.thinPoolStatus(name: target.deviceMapperName)
            note(status.percentUsed, for: target)
            if status.failing || status.percentUsed >= 100 {
                record(
                    BackupError(
                        code: .snapshotOverflow,
                        detail: "thin pool \(target.displayName) ran out of space or failed during the copy"))
            }
        } catch {
            record(
                BackupError(
                    code: .snapshotOverflow, detail: "cannot read the status of thin pool \(target.displayName)",
                    underlying: error.message))
        }
    }

    /// Records the peak and logs each 25% step once.
    private func note(_ percent: Double, for target: Target) {
        lock.lock()
        peaks[target.displayName] = max(peaks[target.displayName] ?? 0, percent)
        let step = Int(percent / 25)
        let shouldLog = step > (lastLogged[target.displayName] ?? 0)
        if shouldLog { lastLogged[target.displayName] = step }
        lock.unlock()
        if shouldLog {
            log("\(target.isThinPool ? "thin pool" : "snapshot") \(target.displayName) is \(Int(percent))% full")
        }
    }

    private func evaluate(_ status: SnapshotStatus, of target: Target) {
        let percent = status.percentUsed
        note(percent, for: target)
        if status.invalid || status.overflow || status.mergeFailed {
            record(
                BackupError(
                    code: .snapshotOverflow,
                    detail:
                        "snapshot \(target.displayName) overflowed (\(ByteCount(target.sizeBytes))) and was invalidated"
                ))
            return
        }
        let (done, total) = progress()
        let elapsed = Date().timeIntervalSince(start)
        guard percent > 5, done > 0, total > done, elapsed > 2 * interval else { return }
        // Fill grows with writes on the origin; reading grows linearly; project both to the end.
        let projected = percent * Double(total) / Double(done)
        if projected > 100 {
            let needed = UInt64(Double(target.sizeBytes) * projected / 100 * 1.2)
            record(
                BackupError(
                    code: .snapshotOverflow,
                    detail:
                        "snapshot \(target.displayName) is \(Int(percent))% full after \(Int(Double(done) * 100 / Double(total)))% of the copy and would overflow",
                    underlying: "it should be at least \(ByteCount(needed)) (snapshot_size)"))
        }
    }

    private func record(_ error: BackupError) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }
}

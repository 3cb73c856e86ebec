import ExitStatus
import Foundation
internal import Synchronization

/// Once a second while the copy runs: per archive, bytes read of the total, rate and ETA, for a
/// person watching a terminal. Never used when stderr is not a TTY (cron, scripts, tests).
public final class ProgressReporter: Sendable {
    public struct Volume: Sendable {
        public var name: String
        public var total: UInt64
        public var progress: ArchiveProgress

        public init(name: String, total: UInt64, progress: ArchiveProgress) {
            self.name = name
            self.total = total
            self.progress = progress
        }
    }

    private let volumes: [Volume]
    private let sink: @Sendable (String) -> Void
    private let stopped = Mutex(false)
    private let start = Date()

    public init(volumes: [Volume], sink: @escaping @Sendable (String) -> Void) {
        self.volumes = volumes
        self.sink = sink
    }

    public func startReporting() {
        let thread = Thread { [self] in
            while !isStopped {
                Thread.sleep(forTimeInterval: 1)
                if !isStopped { sink(line()) }
            }
        }
        thread.name = "pgsnap-progress"
        thread.start()
    }

    public func stopReporting() {
        stopped.withLock { $0 = true }
    }

    private var isStopped: Bool {
        stopped.withLock { $0 }
    }

    func line() -> String {
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        return volumes.map { volume in
            let done = volume.progress.current.bytesRead
            let rate = Double(done) / elapsed
            let left = volume.total > done ? Double(volume.total - done) / max(rate, 1) : 0
            let name = volume.name.replacingOccurrences(of: ".tar.zst", with: "")
            return
                "\(name) \(ByteCount(done))/\(ByteCount(volume.total)) \(ByteCount(UInt64(rate)))/s ETA \(Int(left))s"
        }.joined(separator: " | ")
    }
}

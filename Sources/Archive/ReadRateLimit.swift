internal import Glibc
internal import Synchronization

/// `max_rate`: one budget of bytes per second that every archiver of a backup reads against,
/// so a backup of a busy host takes its disk bandwidth at a pace the DBA chose (pg_basebackup's
/// `--max-rate`), whatever the number of volumes read at once.
///
/// Each chunk read books the next `bytes / rate` seconds of a shared schedule; the reader then
/// sleeps until its booking ends. A schedule left idle (a slow compressor, the gap between two
/// volumes) gives back at most `burstSeconds` of credit, so a pause never turns into a burst at
/// full disk speed. The sleep is cut into slices that poll `shouldStop`: a signal ends the wait.
public final class ReadRateLimit: Sendable {
    public let bytesPerSecond: UInt64
    /// The most credit an idle schedule keeps.
    static let burstSeconds = 0.25
    /// The longest single sleep between two polls of `shouldStop`.
    static let sliceSeconds = 0.1
    /// The end of the last booking, in seconds of the monotonic clock.
    private let bookedUntil = Mutex(0.0)

    public init(bytesPerSecond: UInt64) {
        precondition(bytesPerSecond > 0, "a rate limit needs a positive rate")
        self.bytesPerSecond = bytesPerSecond
    }

    /// Books `bytes` just read and sleeps until their share of the schedule ends; throws
    /// `interrupted` (for `path`) as soon as `shouldStop` says so.
    public func pace(_ bytes: Int, path: String, shouldStop: () -> Bool) throws(ArchiveError) {
        guard bytes > 0 else { return }
        let cost = Double(bytes) / Double(bytesPerSecond)
        let now = Self.now()
        let due = bookedUntil.withLock { booked in
            booked = max(booked, now - Self.burstSeconds) + cost
            return booked
        }
        while true {
            let remaining = due - Self.now()
            if remaining <= 0 { return }
            if shouldStop() { throw ArchiveError(code: .interrupted, path: path, reason: "a stop was requested") }
            var pause = timespec(remaining: min(remaining, Self.sliceSeconds))
            _ = nanosleep(&pause, nil)
        }
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension timespec {
    fileprivate init(remaining seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1e9))
    }
}

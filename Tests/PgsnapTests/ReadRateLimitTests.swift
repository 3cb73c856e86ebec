import Foundation
import Testing

@testable import Archive

/// `max_rate`'s pacing (ReadRateLimit): readers never get ahead of the shared schedule by more
/// than its burst credit, threads share one budget, and a stop ends the wait. The bounds are
/// lower bounds the arithmetic guarantees (a loaded machine only makes the runs longer), not
/// speed targets.
@Suite("max_rate pacing", .unit)
struct ReadRateLimitTests {
    static func elapsed(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    @Test func oneReaderIsPacedToTheRate() throws {
        let limit = ReadRateLimit(bytesPerSecond: 1 << 20)
        // 1 MiB at 1 MiB/s: at least a second, less the burst credit an idle schedule keeps.
        let seconds = try Self.elapsed {
            for _ in 0..<8 { try limit.pace(128 << 10, path: "base.tar.zst", shouldStop: { false }) }
        }
        #expect(seconds >= 1 - ReadRateLimit.burstSeconds - 0.01, "1 MiB at 1 MiB/s took \(seconds) s")
    }

    @Test func threadsShareOneBudget() throws {
        let limit = ReadRateLimit(bytesPerSecond: 1 << 20)
        let seconds = Self.elapsed {
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for _ in 0..<4 { try? limit.pace(64 << 10, path: "x", shouldStop: { false }) }
            }
        }
        // 4 × 256 KiB together: a second at the shared rate, not a quarter of one.
        #expect(seconds >= 1 - ReadRateLimit.burstSeconds - 0.01, "4 threads took \(seconds) s")
    }

    /// A chunk that books hours of the schedule still ends at the first poll after a stop.
    @Test func aStopEndsTheWait() {
        let limit = ReadRateLimit(bytesPerSecond: 32 << 10)
        let polls = Counter()
        #expect(throws: ArchiveError.self) {
            try limit.pace(1 << 30, path: "base.tar.zst", shouldStop: { polls.next() > 2 })
        }
        #expect(polls.value == 3)
    }

    @Test func nothingReadCostsNothing() throws {
        let limit = ReadRateLimit(bytesPerSecond: 32 << 10)
        try limit.pace(
            0, path: "x",
            shouldStop: {
                Issue.record("polled for an empty chunk")
                return true
            })
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { lock.withLock { count } }
        func next() -> Int {
            lock.withLock {
                count += 1
                return count
            }
        }
    }
}

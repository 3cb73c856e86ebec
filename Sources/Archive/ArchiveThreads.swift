internal import Foundation
internal import Synchronization

/// Runs blocking archive jobs on threads of their own, one per job, and waits for all of them:
/// reading and writing files would starve the Swift concurrency pool's few threads.
public enum ArchiveThreads {
    /// Runs every job at once, each on a new thread, and returns their results in job order.
    public static func run<T: Sendable>(_ jobs: [@Sendable () -> T]) -> [T] {
        let results = Results<T>(count: jobs.count)
        let group = DispatchGroup()
        for (index, job) in jobs.enumerated() {
            group.enter()
            let thread = Thread {
                results.set(index, job())
                group.leave()
            }
            thread.name = "pgsnap-archive-\(index)"
            thread.start()
        }
        group.wait()
        return results.all()
    }

    private final class Results<T: Sendable>: Sendable {
        private let values: Mutex<[T?]>

        init(count: Int) {
            values = Mutex(Array(repeating: nil, count: count))
        }

        func set(_ index: Int, _ value: T) {
            values.withLock { $0[index] = value }
        }

        func all() -> [T] {
            values.withLock { $0.compactMap { $0 } }
        }
    }
}

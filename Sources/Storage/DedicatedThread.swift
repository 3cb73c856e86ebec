import Foundation

/// One long-lived thread that runs submitted work in order, for C libraries that must always be
/// called from the same thread (liblvm2cmd) and must not block the shared concurrency pool.
final class DedicatedThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var thread: Thread?

    init(name: String) {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Runs `body` on the thread and waits for its result.
    func run<T>(_ body: @escaping () -> T) -> T {
        let done = NSCondition()
        var result: T?
        var finished = false
        condition.lock()
        jobs.append {
            let value = body()
            done.lock()
            result = value
            finished = true
            done.signal()
            done.unlock()
        }
        condition.signal()
        condition.unlock()
        done.lock()
        while !finished { done.wait() }
        done.unlock()
        guard let result else { preconditionFailure("job finished without a result") }
        return result
    }

    /// Lets the thread finish its queue and exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

import Archive
import Foundation

/// The archive threads of one copy, one per volume, and the one point where they meet the
/// orchestration: the base archive's thread, after its last data file, waits there for
/// `backup_label` and `tablespace_map`, which the calling thread hands over once it has ended
/// backup mode itself. libpq is so used from the calling thread only, and nothing calls back
/// into the run from a worker thread.
///
/// Every wait here is bounded by the jobs themselves: the calling thread always hands over
/// (the files or a refusal) before it waits for the base archive to finish.
final class CopyThreads: @unchecked Sendable {
    typealias Outcome = Result<VolumeArchiveResult, ArchiveError>
    /// One archive; `labelFiles` is what the base archive appends after its data files.
    typealias Job = @Sendable (_ labelFiles: @escaping () throws(ArchiveError) -> [GeneratedFile]) -> Outcome

    private let condition = NSCondition()
    private var outcomes: [Outcome?]
    private var baseWaiting = false
    private var labelFiles: Result<[GeneratedFile], ArchiveError>?

    /// Starts every job at once on a thread of its own (blocking I/O has no place on the Swift
    /// concurrency pool); job 0 is the base archive.
    init(_ jobs: [Job]) {
        outcomes = Array(repeating: nil, count: jobs.count)
        for (index, job) in jobs.enumerated() {
            let thread = Thread { [self] in
                let outcome = job { () throws(ArchiveError) -> [GeneratedFile] in try self.awaitLabelFiles() }
                condition.lock()
                outcomes[index] = outcome
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "pgsnap-archive-\(index)"
            thread.start()
        }
    }

    /// The base archive's thread: every data file is in; waits for the label files.
    private func awaitLabelFiles() throws(ArchiveError) -> [GeneratedFile] {
        condition.lock()
        defer { condition.unlock() }
        baseWaiting = true
        condition.broadcast()
        while labelFiles == nil { condition.wait() }
        switch labelFiles {
        case .success(let files): return files
        case .failure(let error): throw error
        case nil: return []
        }
    }

    /// The calling thread: waits until every archive but the base one is done and the base one
    /// is done too or waits for its label files, calling `poll` about once a second meanwhile.
    /// True when the base archive waits: every data file of the backup has been read.
    func waitForDataFiles(poll: () -> Void) -> Bool {
        wait(poll: poll) {
            outcomes.dropFirst().allSatisfy { $0 != nil } && (baseWaiting || outcomes.first.map { $0 != nil } ?? true)
        }
        condition.lock()
        defer { condition.unlock() }
        return baseWaiting
    }

    /// Hands the base archive its label files, or the error that ends it; the first call wins.
    func handOver(_ files: Result<[GeneratedFile], ArchiveError>) {
        condition.lock()
        if labelFiles == nil { labelFiles = files }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for every archive, polling as `waitForDataFiles` does; outcomes in job order.
    func waitForAll(poll: () -> Void) -> [Outcome] {
        wait(poll: poll) { outcomes.allSatisfy { $0 != nil } }
        condition.lock()
        defer { condition.unlock() }
        return outcomes.compactMap { $0 }
    }

    /// `done` is evaluated under the lock; `poll` outside it, on the calling thread.
    private func wait(poll: () -> Void, until done: () -> Bool) {
        condition.lock()
        while !done() {
            if !condition.wait(until: Date().addingTimeInterval(1)) {
                condition.unlock()
                poll()
                condition.lock()
            }
        }
        condition.unlock()
    }
}

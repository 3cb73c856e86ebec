/// Runs one hook executable: the boundary that unit tests replace with a recording fake, so
/// the order of events around the stages can be tested without spawning anything.
public protocol HookRunner: Sendable {
    /// Runs `path` with exactly `environment` (nothing inherited), its stdin from /dev/null.
    ///
    /// - Parameters:
    ///   - timeout: seconds before the hook's whole process group gets SIGTERM, then SIGKILL.
    ///   - shouldStop: polled while the hook runs; when it turns true the hook is terminated the
    ///     same way (pgsnap got a signal and a `pre-*` hook need not finish).
    func run(
        path: String, environment: [String: String], timeout: Double,
        shouldStop: @escaping @Sendable () -> Bool
    ) -> HookResult
}

/// How a hook ended, with the tail of what it printed.
public struct HookResult: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        /// It exited on its own with this status.
        case exited(Int32)
        /// A signal it did not catch killed it (not one pgsnap sent).
        case signalled(Int32)
        /// It ran longer than `hook_timeout` and was killed.
        case timedOut
        /// pgsnap was interrupted and killed it.
        case stopped
        /// posix_spawn failed (`exec format error`: a script without `#!`, for instance).
        case cannotStart(String)
    }

    public var ending: Ending
    /// The last lines of its stdout and stderr (at most `HookResult.maximumLines` each).
    public var stdout: [String]
    public var stderr: [String]

    public static let maximumLines = 50

    public init(ending: Ending, stdout: [String] = [], stderr: [String] = []) {
        self.ending = ending
        self.stdout = stdout
        self.stderr = stderr
    }

    public var succeeded: Bool { ending == .exited(0) }
}

public import ExitStatus

/// A hook that could not be trusted, or a `pre-*` hook that refused the run.
///
/// The message names the hook's path and says how it ended, with the last lines of its stderr,
/// because that is usually all an operator reading a cron mail has to go on.
public struct HookError: PgsnapError, Equatable {
    public enum Code: String, Sendable {
        /// `hook_directory` is missing or not a directory.
        case missingDirectory = "missing_directory"
        /// The directory or a hook is writable by group or others, or owned by another user:
        /// hooks run as root, so that would let someone else run code as root.
        case insecure
        /// An event's name is taken by something other than a regular file.
        case notRegularFile = "not_regular_file"
        /// The hook exited non-zero or was killed by a signal.
        case failed
        /// The hook outlived `hook_timeout` and was killed with its process group.
        case timedOut = "timed_out"
        /// The hook could not be started at all.
        case cannotStart = "cannot_start"
    }

    public let code: Code
    /// The event, or nil for a problem with the directory itself.
    public let event: HookEvent?
    public let path: String
    public let detail: String
    /// The last lines of the hook's stderr.
    public let stderrTail: [String]

    public init(code: Code, event: HookEvent?, path: String, detail: String, stderrTail: [String] = []) {
        self.code = code
        self.event = event
        self.path = path
        self.detail = detail
        self.stderrTail = stderrTail
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .missingDirectory, .insecure, .notRegularFile: return .configuration
        case .failed, .timedOut, .cannotStart: return .hook
        }
    }

    public var message: String {
        let subject = event.map { "\($0.rawValue) hook \(path)" } ?? "hook directory \(path)"
        let tail = stderrTail.suffix(3).joined(separator: " | ")
        return tail.isEmpty ? "\(subject) \(detail)" : "\(subject) \(detail): \(tail)"
    }

    public var hint: String {
        switch code {
        case .missingDirectory: return "create it or unset hook_directory"
        case .insecure: return "hooks run as root: chown root and chmod go-w the directory and every hook"
        case .notRegularFile: return "hooks must be regular files (or symlinks to them)"
        case .failed, .timedOut, .cannotStart:
            return "the run was torn down; see docs/hooks.md and the hook's output in the log (--log-level info)"
        }
    }
}

extension HookError {
    /// `hook.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("hook", caseName: code.rawValue) }
}

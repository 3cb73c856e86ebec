public import ExitStatus

/// A failure of `pgsnap freeze`, `thaw` or `freeze --status` itself: the holder and the
/// socket between the short commands and it (docs/storage-hooks.md). Failures of what the
/// holder does (the lock, the server, the target) keep their own types and codes.
public struct FreezeError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// No freeze is held: nothing answers on the socket and nothing is left of one.
        case notFrozen = "not_frozen"
        /// A holder died without ending its freeze (SIGKILL, OOM); what it left was removed.
        case holderDied = "holder_died"
        /// The watchdog ended backup mode before thaw came (`freeze_timeout`).
        case thawNeverCame = "thaw_never_came"
        /// The holder could not be started, or exited without saying why.
        case holderFailed = "holder_failed"
        /// A message on the socket was malformed, too long or from another user.
        case `protocol`
        /// `snapshot-exec`'s command failed: the run fails with the command's own exit code.
        case snapshotCommandFailed = "snapshot_command_failed"
    }

    public let code: Code
    public let detail: String
    public let underlying: String?
    /// The exit status the holder reported, for a failure it passed on.
    public let status: ExitStatus?
    /// `snapshotCommandFailed`: the command's exit code, which the run exits with and records.
    public let commandExitCode: Int32?

    public init(
        code: Code, detail: String, underlying: String? = nil, status: ExitStatus? = nil, commandExitCode: Int32? = nil
    ) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
        self.status = status
        self.commandExitCode = commandExitCode
    }

    public var exitStatus: ExitStatus {
        if let status { return status }
        switch code {
        case .notFrozen, .holderDied, .thawNeverCame: return .notFrozen
        case .holderFailed, .protocol: return .internalError
        // Only a stand-in: snapshot-exec exits with `commandExitCode` itself.
        case .snapshotCommandFailed: return .hook
        }
    }

    public var hint: String {
        switch code {
        case .notFrozen: return "run 'pgsnap freeze' before the storage snapshot and 'pgsnap thaw' after it"
        case .holderDied:
            return
                "PostgreSQL ended backup mode with the holder's session; the snapshot taken during it is not restorable: freeze again"
        case .thawNeverCame:
            return
                "the snapshot taken during it is not restorable; raise freeze_timeout (--timeout) if the storage needs longer"
        case .holderFailed: return "see <run_directory>/freeze.log"
        case .protocol: return "only root talks to the freeze holder, one bounded line at a time"
        case .snapshotCommandFailed:
            return "backup mode ended and the failed run is recorded; fix the snapshot command and run again"
        }
    }
}

extension FreezeError {
    /// `freeze.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("freeze", caseName: code.rawValue) }
}

public import ExitStatus

/// A failure the freeze holder reported over its pipe or socket, passed on unchanged: the
/// short command exits with the holder's status and code, as if it had failed itself.
public struct HolderFailure: PgsnapError, Equatable {
    public let message: String
    public let hint: String
    public let exitStatus: ExitStatus
    private let code: String

    init(message: String, hint: String, exitStatus: ExitStatus, errorCode code: String) {
        // The holder is pgsnap, but its words cross a socket: one bounded line each.
        self.message = Echo.line(message, limit: 1024)
        self.hint = Echo.line(hint, limit: 1024)
        self.exitStatus = exitStatus
        self.code = code
    }

    public var errorCode: ErrorCode {
        let parts = code.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, code.utf8.count <= 64, code.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "." })
        else { return ErrorCode("freeze", "holder_failed") }
        return ErrorCode(parts[0], parts[1])
    }
}

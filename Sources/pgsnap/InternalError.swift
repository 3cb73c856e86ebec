import ExitStatus

/// An error no pgsnap module classified: a bug, reported in the same one line, JSON object
/// and exit status 1 as every other failure instead of escaping to the argument parser's
/// bare `Error: …`.
struct InternalError: PgsnapError {
    /// The error's own description, as Swift prints it.
    let underlying: String

    init(_ error: any Error) {
        underlying = String(describing: error)
    }

    var message: String { "internal error: \(Echo.value(underlying))" }
    var hint: String { "this is a bug in pgsnap: please report it with this line" }
    var exitStatus: ExitStatus { .internalError }
}

extension InternalError {
    /// `internal.…`: see ErrorCode and docs/exit-codes.md.
    var errorCode: ErrorCode { ErrorCode("internal", "unclassified") }
}

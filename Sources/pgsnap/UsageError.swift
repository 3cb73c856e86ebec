import ExitStatus

/// A command line the subcommand's `validate()` refuses (contradictory or malformed
/// arguments), reported like every other error: one `pgsnap: …` line and exit 64.
struct UsageError: PgsnapError {
    let message: String
    /// The subcommand whose help describes the arguments.
    let command: String

    var hint: String { "see 'pgsnap \(command) --help'" }
    var exitStatus: ExitStatus { .usage }
}

extension UsageError {
    /// `usage.…`: see ErrorCode and docs/exit-codes.md.
    var errorCode: ErrorCode { ErrorCode("usage", "invalid_arguments") }
}

import ExitStatus

/// The JSON object a failed command prints with `--json`, typed like `check --json`'s
/// problems: `{"ok": false, "code": "postgres.connection", "error": "...", "hint": "...",
/// "exit_status": 4}`.
struct ErrorOutput: Encodable {
    let ok = false
    /// `<domain>.<name>` (ErrorCode): which failure, for a script to branch on.
    let code: String
    let error: String
    let hint: String
    let exitStatus: Int32

    init(_ error: any PgsnapError) {
        self.code = error.errorCode.description
        self.error = error.message
        self.hint = error.hint
        self.exitStatus = error.exitStatus.rawValue
    }
}

public import ExitStatus

/// One reason a backup cannot run, as `pgsnap check` reports it.
public struct Problem: Sendable, Equatable, Encodable {
    /// Stable identifier for scripts, e.g. `not_on_lvm`.
    public var code: String
    /// What is wrong, naming the path, setting or volume.
    public var message: String
    /// What to do about it.
    public var hint: String
    public var exitStatus: ExitStatus

    public init(code: String, message: String, hint: String, exitStatus: ExitStatus) {
        self.code = code
        self.message = message
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// A problem from a typed error.
    public init(code: String, _ error: any PgsnapError) {
        self.init(code: code, message: error.message, hint: error.hint, exitStatus: error.exitStatus)
    }

    enum CodingKeys: String, CodingKey {
        case code, message, hint
        case exitStatus = "exit_status"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encode(hint, forKey: .hint)
        try container.encode(exitStatus.rawValue, forKey: .exitStatus)
    }
}

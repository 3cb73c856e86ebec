/// An error a person can act on: a one-line message saying what happened, a hint saying
/// what to do, and the exit status that classifies it.
///
/// Every error type that can reach the command line conforms, so the executable can print
/// `pgsnap: <message> (<hint>)` and exit with the documented code without knowing the type.
public protocol PgsnapError: Error, CustomStringConvertible, Sendable {
    /// What happened, including the underlying library's own words.
    var message: String { get }
    /// What to do about it; empty when there is nothing better than the message.
    var hint: String { get }
    /// The documented exit status for this kind of failure.
    var exitStatus: ExitStatus { get }
    /// Which failure it is, stable across releases (docs/exit-codes.md).
    var errorCode: ErrorCode { get }
}

extension PgsnapError {
    public var description: String {
        hint.isEmpty ? message : "\(message) — \(hint)"
    }
}

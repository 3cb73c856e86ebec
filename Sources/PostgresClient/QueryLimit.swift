/// How long one statement may take, and whether pgsnap's stop request cancels it.
///
/// Every statement is sent asynchronously and waited for in short steps, so a signal or a
/// deadline is noticed within a fraction of a second even while the server waits for a
/// checkpoint or for WAL archiving; the server is then asked to cancel the statement.
public struct QueryLimit: Sendable, Equatable {
    /// Seconds before the statement is cancelled; nil waits as long as the server takes.
    public var timeout: Double?
    /// Whether the session's stop condition (a signal, for a backup) cancels the statement.
    public var interruptible: Bool

    public init(timeout: Double?, interruptible: Bool) {
        self.timeout = timeout
        self.interruptible = interruptible
    }

    /// Any ordinary statement: as long as it takes, unless pgsnap is asked to stop.
    public static let standard = QueryLimit(timeout: nil, interruptible: true)

    /// Teardown after a signal or a failure: it must run although the stop was requested,
    /// and must not keep the exit waiting.
    public static let teardown = QueryLimit(timeout: 2, interruptible: false)
}

/// How a `LibPQSession` behaves beyond its connection string.
public struct SessionOptions: Sendable {
    /// `fallback_application_name`, so the session shows up as pgsnap's in pg_stat_activity.
    public var applicationName: String
    /// Polled while a statement runs: true cancels interruptible statements (a signal arrived).
    public var shouldStop: (@Sendable () -> Bool)?
    /// Receives the server's notices; nil drops them (never to the terminal raw).
    public var serverMessages: (@Sendable (ServerMessage) -> Void)?

    public init(
        applicationName: String = "pgsnap", shouldStop: (@Sendable () -> Bool)? = nil,
        serverMessages: (@Sendable (ServerMessage) -> Void)? = nil
    ) {
        self.applicationName = applicationName
        self.shouldStop = shouldStop
        self.serverMessages = serverMessages
    }
}

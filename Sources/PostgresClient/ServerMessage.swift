/// A notice the server sent while connecting or during a statement (NOTICE, WARNING, INFO…): pgsnap logs it as the
/// server's instead of letting libpq print it raw on stderr.
public struct ServerMessage: Sendable, Equatable, CustomStringConvertible {
    /// The severity as the server sent it, not localized: `NOTICE`, `WARNING`, `INFO`, `LOG`, `DEBUG1`…
    public var severity: String
    /// The primary message, with its detail and hint when the server sent them, on one line.
    public var text: String
    /// Sent while the session was connecting, so about the database or the role rather than
    /// anything pgsnap asked (a collation version mismatch after an OS upgrade).
    public var duringConnection: Bool

    public init(severity: String, text: String, duringConnection: Bool = false) {
        self.severity = severity
        self.text = text
        self.duringConnection = duringConnection
    }

    /// This message, marked as sent while connecting.
    func markedDuringConnection() -> ServerMessage {
        ServerMessage(severity: severity, text: text, duringConnection: true)
    }

    /// What a person should see at the default log level.
    public var isWarning: Bool { severity == "WARNING" }

    /// `server: WARNING: …`, marked as the server's words.
    public var description: String { "server: \(severity): \(text)" }
}

/// A notice the server sent during a statement (NOTICE, WARNING, INFO…): pgsnap logs it as the
/// server's instead of letting libpq print it raw on stderr.
public struct ServerMessage: Sendable, Equatable, CustomStringConvertible {
    /// The severity as the server sent it, not localized: `NOTICE`, `WARNING`, `INFO`, `LOG`, `DEBUG1`…
    public var severity: String
    /// The primary message, with its detail and hint when the server sent them, on one line.
    public var text: String

    public init(severity: String, text: String) {
        self.severity = severity
        self.text = text
    }

    /// What a person should see at the default log level.
    public var isWarning: Bool { severity == "WARNING" }

    /// `server: WARNING: …`, marked as the server's words.
    public var description: String { "server: \(severity): \(text)" }
}

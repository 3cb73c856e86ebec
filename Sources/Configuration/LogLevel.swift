/// How much pgsnap logs to standard error.
public enum LogLevel: String, Sendable, CaseIterable {
    case debug, info, warning, error
}

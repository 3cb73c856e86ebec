/// Why the metrics file could not be written. Never an exit status: the command's own result
/// stands, and this becomes one warning line (what happened, what to do).
public struct MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The metrics file pgsnap tried to write.
    public let path: String
    /// What failed: "cannot create …", "cannot rename …".
    public let detail: String
    /// The system's own words (strerror text).
    public let underlying: String

    public init(path: String, detail: String, underlying: String) {
        self.path = path
        self.detail = detail
        self.underlying = underlying
    }

    public var description: String {
        "cannot write the metrics file \(path): \(detail): \(underlying) — the command's result is unaffected; "
            + "check that the directory exists and that pgsnap's user can write to it (metrics_file)"
    }
}

/// Why a `backup_manifest` cannot be trusted.
public enum ManifestError: Error, Equatable, Sendable {
    /// Not JSON, or JSON without the fields PostgreSQL's format requires.
    case invalid(String)
    /// The `Manifest-Checksum` does not match the bytes before it: the manifest was edited or
    /// damaged.
    case checksumMismatch(recorded: String, computed: String)

    public var description: String {
        switch self {
        case .invalid(let detail): return "is not a valid backup manifest: \(detail)"
        case .checksumMismatch(let recorded, let computed):
            return
                "fails its own checksum (records \(recorded), contents hash to \(computed)): it was edited or damaged"
        }
    }
}

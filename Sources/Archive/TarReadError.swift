/// Why a tar stream could not be read to its end: the reasons `verify` and `restore` name.
public enum TarReadError: Error, Equatable, Sendable {
    /// The stream ended before the end-of-archive marker or inside a member.
    case truncated
    /// The bytes are not a valid tar member: bad header checksum, bad number, bad pax record.
    case malformed(String)
    /// The underlying source failed: decompression or the file itself.
    case source(String)
    /// libzstd rejected the data (bad frame checksum, garbage).
    case corrupt(String)

    public var description: String {
        switch self {
        case .truncated: return "ends early (truncated)"
        case .malformed(let detail): return "is not a valid tar archive: \(detail)"
        case .source(let detail): return "cannot be read: \(detail)"
        case .corrupt(let detail): return "is corrupt: \(detail)"
        }
    }
}

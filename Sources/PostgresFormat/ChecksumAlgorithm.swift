/// The per-file checksum a `backup_manifest` records, spelled as PostgreSQL spells it.
///
/// CRC32C is pg_basebackup's default: it detects accidental damage at almost no cost. SHA256 is
/// for administrators who want the manifest to also resist deliberate tampering.
public enum ChecksumAlgorithm: String, Sendable, CaseIterable {
    /// No checksum: the manifest records path, size and time only.
    case none = "NONE"
    case crc32c = "CRC32C"
    case sha256 = "SHA256"

    /// Parses a configuration value case-insensitively, as `pg_basebackup --manifest-checksums` does.
    public init?(name: String) {
        guard let algorithm = Self(rawValue: name.uppercased()) else { return nil }
        self = algorithm
    }
}

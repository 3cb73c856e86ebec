/// The per-file checksum written into `backup_manifest` (PostgreSQL's names, lower-cased).
public enum ManifestChecksums: String, Sendable, CaseIterable {
    /// PostgreSQL's default: fast, and enough to catch corruption.
    case crc32c
    /// Slower; for sites that want a cryptographic hash.
    case sha256
    /// Sizes only.
    case none
}

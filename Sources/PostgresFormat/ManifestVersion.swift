/// The `backup_manifest` format: version 1 up to PostgreSQL 16, version 2 (which adds the
/// cluster's system identifier, so a backup cannot be verified against another cluster's
/// manifest) from 17.
public enum ManifestVersion: Sendable, Equatable {
    case v1
    case v2(systemIdentifier: UInt64)

    /// The version the server itself would write.
    public static func forServer(majorVersion: Int, systemIdentifier: UInt64) -> ManifestVersion {
        majorVersion >= 17 ? .v2(systemIdentifier: systemIdentifier) : .v1
    }
}

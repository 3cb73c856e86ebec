/// One file's line in `backup_manifest`.
public struct ManifestFileRecord: Sendable, Equatable {
    /// Relative to the restored data directory: tablespace files as `pg_tblspc/<oid>/PG_…/…`.
    public var path: RawPath
    /// The size in the archive (the listed size, even if the file changed while being read).
    public var size: UInt64
    /// Seconds since the epoch.
    public var modificationTime: Int64
    public var checksumAlgorithm: ChecksumAlgorithm
    /// Lowercase hex; nil with `.none`.
    public var checksum: String?

    public init(
        path: RawPath, size: UInt64, modificationTime: Int64, checksumAlgorithm: ChecksumAlgorithm,
        checksum: String?
    ) {
        self.path = path
        self.size = size
        self.modificationTime = modificationTime
        self.checksumAlgorithm = checksumAlgorithm
        self.checksum = checksumAlgorithm == .none ? nil : checksum
    }
}

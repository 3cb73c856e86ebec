/// What a storage system's own snapshot held, in the record of kind `external` that
/// `pgsnap thaw` writes (docs/storage-hooks.md): pgsnap holds no copy of the data, only the
/// label, the tablespace map and the WAL that make the storage snapshot restorable.
public struct ExternalSnapshot: Codable, Sendable, Equatable {
    /// The storage system's name for its snapshot (`thaw --snapshot-name`), if it gave one.
    public var snapshotName: String?
    /// The directories that were in backup mode: the data directory, pg_wal, each tablespace.
    public var frozenPaths: [String]
    /// The mount sources (devices) of the file systems holding them: what must be snapshotted.
    public var volumes: [String]

    public init(snapshotName: String?, frozenPaths: [String], volumes: [String]) {
        self.snapshotName = snapshotName
        self.frozenPaths = frozenPaths
        self.volumes = volumes
    }

    enum CodingKeys: String, CodingKey {
        case snapshotName = "snapshot_name"
        case frozenPaths = "frozen_paths"
        case volumes
    }
}

/// What `pgsnap restore` was asked to do.
public struct RestoreRequest: Sendable {
    public var target: String
    public var backupID: String
    public var dataDirectory: String
    public var tablespaces: [TablespaceMapping]
    /// Where pg_wal's contents go instead of the data directory (`pg_wal` becomes a symlink to
    /// it), as `initdb --waldir` and `pg_basebackup --waldir` arrange it.
    public var walDirectory: String?
    public var overwrite: Bool
    /// nil: the owner of the original data directory, as backup.json records it.
    public var owner: RestoreOwner?
    public var recovery: RecoverySettings
    /// nil: off when restoring to a new location while the original cluster runs on this host,
    /// preserve otherwise.
    public var archiveMode: ArchiveMode?

    public init(
        target: String, backupID: String, dataDirectory: String, tablespaces: [TablespaceMapping] = [],
        walDirectory: String? = nil, overwrite: Bool = false, owner: RestoreOwner? = nil,
        recovery: RecoverySettings = RecoverySettings(), archiveMode: ArchiveMode? = nil
    ) {
        self.target = target
        self.backupID = backupID
        self.dataDirectory = TablespaceMapping.normalized(dataDirectory)
        self.tablespaces = tablespaces
        self.walDirectory = walDirectory.map(TablespaceMapping.normalized)
        self.overwrite = overwrite
        self.owner = owner
        self.recovery = recovery
        self.archiveMode = archiveMode
    }
}

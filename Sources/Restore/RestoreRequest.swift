/// What `pgsnap restore` was asked to do.
public struct RestoreRequest: Sendable {
    public var target: String
    public var backupID: String
    public var dataDirectory: String
    public var tablespaces: [TablespaceMapping]
    public var overwrite: Bool
    /// nil: the owner of the original data directory, as backup.json records it.
    public var owner: RestoreOwner?
    public var recovery: RecoverySettings

    public init(target: String, backupID: String, dataDirectory: String, tablespaces: [TablespaceMapping] = [],
                overwrite: Bool = false, owner: RestoreOwner? = nil, recovery: RecoverySettings = RecoverySettings()) {
        self.target = target
        self.backupID = backupID
        self.dataDirectory = TablespaceMapping.normalized(dataDirectory)
        self.tablespaces = tablespaces
        self.overwrite = overwrite
        self.owner = owner
        self.recovery = recovery
    }
}

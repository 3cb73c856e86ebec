public import PostgresClient

/// What `check` learned about the PostgreSQL server and the connected role.
public struct ServerFacts: Sendable, Equatable, Encodable {
    public var version: String
    public var versionNumber: Int
    public var systemIdentifier: String?
    public var dataDirectory: String?
    public var walLevel: String
    public var archiveMode: String
    public var dataChecksums: Bool
    public var role: String
    /// The role may run the backup start/stop functions of this server version.
    public var canRunBackupFunctions: Bool
    /// The role may create a (temporary) physical replication slot: superuser or REPLICATION.
    public var canCreateReplicationSlot: Bool
    /// The size of every database the role may see (`pg_database_size`), for the estimate of
    /// the next backup's size; nil when it could not be read.
    public var databaseBytes: UInt64?
    /// `pg_stat_archiver`, read when the backup waits for archiving (`wal_archive`).
    public var archiver: ArchiverStatus?

    public init(
        version: String, versionNumber: Int, systemIdentifier: String?, dataDirectory: String?,
        walLevel: String, archiveMode: String, dataChecksums: Bool, role: String,
        canRunBackupFunctions: Bool, canCreateReplicationSlot: Bool, databaseBytes: UInt64? = nil,
        archiver: ArchiverStatus? = nil
    ) {
        self.version = version
        self.versionNumber = versionNumber
        self.systemIdentifier = systemIdentifier
        self.dataDirectory = dataDirectory
        self.walLevel = walLevel
        self.archiveMode = archiveMode
        self.dataChecksums = dataChecksums
        self.role = role
        self.canRunBackupFunctions = canRunBackupFunctions
        self.canCreateReplicationSlot = canCreateReplicationSlot
        self.databaseBytes = databaseBytes
        self.archiver = archiver
    }
}

/// The outcome `pgsnap restore --json` prints.
public struct RestoreResult: Codable, Sendable, Equatable {
    public struct Tablespace: Codable, Sendable, Equatable {
        public var oid: UInt32
        public var name: String
        public var location: String
    }

    public var id: String
    public var pgdata: String
    /// `--waldir`, where pg_wal points; nil when WAL lives in the data directory.
    public var walDirectory: String?
    public var tablespaces: [Tablespace]
    public var files: Int
    public var bytes: UInt64
    public var seconds: Double
    /// `none`, `recovery.signal` or `standby.signal`.
    public var recovery: String
    public var walSegments: Int
    public var owner: String
    /// `off` when the restore wrote `archive_mode = 'off'`, else `preserve`.
    public var archiveMode: ArchiveMode
    /// Why this backup was restored for a recovery target; nil when it was restored as asked.
    public var baseBackupChoice: String?
    /// Directories where `--overwrite` kept WAL the old pg_wal had not archived.
    public var unarchivedWAL: [String]

    enum CodingKeys: String, CodingKey {
        case id, pgdata
        case walDirectory = "wal_directory"
        case tablespaces, files, bytes, seconds, recovery
        case walSegments = "wal_segments"
        case owner
        case archiveMode = "archive_mode"
        case baseBackupChoice = "base_backup_choice"
        case unarchivedWAL = "unarchived_wal"
    }
}

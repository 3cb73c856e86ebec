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

    enum CodingKeys: String, CodingKey {
        case id, pgdata, walDirectory = "wal_directory", tablespaces, files, bytes, seconds, recovery, walSegments = "wal_segments", owner
    }
}

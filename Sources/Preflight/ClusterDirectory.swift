/// A directory of the cluster that a backup must capture.
public struct ClusterDirectory: Sendable, Equatable, Encodable {
    public enum Role: String, Sendable, Encodable {
        /// The data directory, which holds pg_default and pg_global.
        case dataDirectory = "data_directory"
        case tablespace
        /// The WAL directory, when it sits on its own volume via a symlink.
        case wal = "pg_wal"
    }

    public var role: Role
    /// Tablespace name (`pg_default`, `pg_global`, user names) or `pg_wal`.
    public var name: String
    /// Tablespace OID; nil for pg_wal.
    public var oid: UInt32?
    public var path: String

    public init(role: Role, name: String, oid: UInt32?, path: String) {
        self.role = role
        self.name = name
        self.oid = oid
        self.path = path
    }
}

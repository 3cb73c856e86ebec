/// A directory a running PostgreSQL server uses: its data directory, a tablespace its
/// `pg_tblspc` links to, or its WAL directory. Paths are resolved, so a restore destination is
/// compared with what the server really writes to, not with the name it was started with.
struct InUseDirectory: Sendable, Equatable {
    enum Use: Sendable, Equatable {
        case dataDirectory
        case tablespace(oid: String)
        case wal
    }

    var path: String
    var device: UInt64
    var inode: UInt64
    var use: Use
    /// The postmaster's pid and data directory.
    var pid: Int32
    var dataDirectory: String

    /// "the data directory of the PostgreSQL server (pid 123) running in /srv/pg".
    var description: String {
        let what: String
        switch use {
        case .dataDirectory: what = "the data directory"
        case .tablespace(let oid): what = "a tablespace (pg_tblspc/\(oid))"
        case .wal: what = "pg_wal"
        }
        return "\(what) of the PostgreSQL server (pid \(pid)) running in \(dataDirectory)"
    }
}

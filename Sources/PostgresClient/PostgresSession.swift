/// One PostgreSQL connection: the boundary orchestration code talks through.
///
/// A backup keeps a single session for its whole window because non-exclusive backup mode and
/// temporary replication slots end with the session that started them. Calls block; callers run
/// them off the shared concurrency pool.
public protocol PostgresSession: AnyObject {
    /// `server_version_num`, e.g. 150018.
    var serverVersionNumber: Int { get }
    /// Runs one statement with text parameters `$1…$n` and returns its rows.
    func query(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> QueryResult
    /// Ends the session; the server ends backup mode and drops temporary slots if still held.
    func close()
    /// True once the server has ended the session while it was idle.
    var serverClosedConnection: Bool { get }
}

extension PostgresSession {
    public func query(_ sql: String) throws(PostgresError) -> QueryResult {
        try query(sql, [])
    }
}

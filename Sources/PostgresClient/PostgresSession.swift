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
    /// Runs one statement within `limit`: past its timeout, or on a stop request when it is
    /// interruptible, the server is asked to cancel it and the error is `.timedOut` or `.cancelled`.
    func query(_ sql: String, _ parameters: [String?], limit: QueryLimit) throws(PostgresError) -> QueryResult
    /// Ends the session; the server ends backup mode and drops temporary slots if still held.
    func close()
    /// True once the server has ended the session while it was idle.
    var serverClosedConnection: Bool { get }
}

extension PostgresSession {
    public func query(_ sql: String) throws(PostgresError) -> QueryResult {
        try query(sql, [])
    }

    /// Scripted sessions answer at once, so the limit has nothing to bound.
    public func query(_ sql: String, _ parameters: [String?], limit: QueryLimit) throws(PostgresError) -> QueryResult {
        try query(sql, parameters)
    }
}

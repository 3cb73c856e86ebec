/// What `pg_stat_archiver` says about the server's WAL archiving, for a backup that waits for
/// it (`wal_archive`): a failing `archive_command` is why such a wait never ends.
public struct ArchiverStatus: Sendable, Equatable, Encodable {
    public var archivedCount: Int
    public var lastArchivedWAL: String?
    public var lastArchivedTime: String?
    public var failedCount: Int
    public var lastFailedWAL: String?
    public var lastFailedTime: String?
    /// The last attempt failed: no segment was archived since the last failure.
    public var isFailing: Bool

    public init(
        archivedCount: Int = 0, lastArchivedWAL: String? = nil, lastArchivedTime: String? = nil,
        failedCount: Int = 0, lastFailedWAL: String? = nil, lastFailedTime: String? = nil,
        isFailing: Bool = false
    ) {
        self.archivedCount = archivedCount
        self.lastArchivedWAL = lastArchivedWAL
        self.lastArchivedTime = lastArchivedTime
        self.failedCount = failedCount
        self.lastFailedWAL = lastFailedWAL
        self.lastFailedTime = lastFailedTime
        self.isFailing = isFailing
    }

    /// Reads the view; any role may (it holds no secrets).
    public static func read(_ session: any PostgresSession, limit: QueryLimit = .standard) throws(PostgresError)
        -> ArchiverStatus
    {
        let result = try session.query(
            """
            SELECT archived_count::text, last_archived_wal, last_archived_time::text,
                   failed_count::text, last_failed_wal, last_failed_time::text,
                   (last_failed_time IS NOT NULL
                    AND last_failed_time > coalesce(last_archived_time, '-infinity'))::text AS failing
            FROM pg_stat_archiver
            """, [], limit: limit)
        guard result.rows.count == 1 else {
            throw PostgresError(
                code: .unexpectedResult, libpqMessage: "pg_stat_archiver returned \(result.rows.count) rows")
        }
        return ArchiverStatus(
            archivedCount: Int(result.value(0, "archived_count") ?? "") ?? 0,
            lastArchivedWAL: result.value(0, "last_archived_wal"),
            lastArchivedTime: result.value(0, "last_archived_time"),
            failedCount: Int(result.value(0, "failed_count") ?? "") ?? 0,
            lastFailedWAL: result.value(0, "last_failed_wal"), lastFailedTime: result.value(0, "last_failed_time"),
            isFailing: result.value(0, "failing") == "true")
    }

    /// `pg_stat_archiver: last failed on <segment> at <time> (<n> failures)`, or that none failed.
    public var failureSummary: String {
        guard let lastFailedWAL, let lastFailedTime else {
            return "pg_stat_archiver reports no failed archive_command (archiving may just be slow)"
        }
        let success =
            lastArchivedWAL.map { "; last archived \($0) at \(lastArchivedTime ?? "?")" } ?? "; nothing archived yet"
        return
            "pg_stat_archiver: last_failed_wal \(lastFailedWAL) at \(lastFailedTime) (\(failedCount) failures)\(success)"
    }

    enum CodingKeys: String, CodingKey {
        case archivedCount = "archived_count"
        case lastArchivedWAL = "last_archived_wal"
        case
            lastArchivedTime = "last_archived_time"
        case failedCount = "failed_count"
        case lastFailedWAL = "last_failed_wal"
        case
            lastFailedTime = "last_failed_time"
        case isFailing = "failing"
    }
}

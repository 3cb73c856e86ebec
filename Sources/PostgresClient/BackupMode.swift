public import PostgresFormat

/// Non-exclusive backup mode on one session: the SQL differs by server version, and the whole
/// window must stay on the session that started it, because the server ends backup mode and
/// drops the temporary slot when that session ends (which is also pgsnap's last line of defence
/// when it dies).
public final class BackupMode {
    /// What `pg_backup_start` returned.
    public struct Started: Sendable, Equatable {
        public var lsn: LSN
    }

    /// What `pg_backup_stop` returned: the stop position and the two files the backup must contain.
    public struct Stopped: Sendable, Equatable {
        public var lsn: LSN
        public var labelFile: String
        /// Empty when the cluster has no user tablespaces.
        public var tablespaceMap: String

        /// `START TIMELINE` from the label (PostgreSQL 11+), else 1.
        public var timeline: UInt32 {
            for line in labelFile.split(separator: "\n") where line.hasPrefix("START TIMELINE: ") {
                return UInt32(line.dropFirst("START TIMELINE: ".count)) ?? 1
            }
            return 1
        }
    }

    public let session: any PostgresSession
    public private(set) var slotName: String?
    public private(set) var isActive = false

    public init(session: any PostgresSession) {
        self.session = session
    }

    private var version: Int { session.serverVersionNumber }

    /// Makes the session safe to hold open for a long time: no statement or idle timeouts
    /// (a DBA's server-wide setting must not cut a backup short).
    public func prepareSession() throws(PostgresError) {
        _ = try session.query("SET statement_timeout = 0")
        if version >= 140_000 { _ = try session.query("SET idle_session_timeout = 0") }
        _ = try session.query("SET idle_in_transaction_session_timeout = 0")
    }

    /// Creates a temporary physical slot that reserves WAL now, so the server keeps every segment
    /// from here on until the session ends or the slot is dropped.
    public func reserveWAL(slotName: String) throws(PostgresError) {
        _ = try session.query("SELECT pg_create_physical_replication_slot($1, true, true)", [slotName])
        self.slotName = slotName
    }

    /// Starts non-exclusive backup mode.
    public func start(label: String, fastCheckpoint: Bool) throws(PostgresError) -> Started {
        let sql =
            version >= 150_000
            ? "SELECT pg_backup_start($1, $2)::text"
            : "SELECT pg_start_backup($1, $2, false)::text"
        let value = try session.query(sql, [label, fastCheckpoint ? "true" : "false"]).scalar()
        guard let text = value, let lsn = LSN(parsing: text) else {
            throw PostgresError(code: .unexpectedResult, libpqMessage: "backup start returned '\(value ?? "NULL")'")
        }
        isActive = true
        return Started(lsn: lsn)
    }

    /// Ends backup mode. `waitForArchive` waits until the WAL through the stop position is
    /// archived, for at most `archiveTimeout` seconds (then the error is `.timedOut`); a stop
    /// request cancels the wait (`.cancelled`).
    public func stop(waitForArchive: Bool, archiveTimeout: Double? = nil) throws(PostgresError) -> Stopped {
        let limit = QueryLimit(timeout: waitForArchive ? archiveTimeout : nil, interruptible: true)
        let result = try session.query(stopSQL, [waitForArchive ? "true" : "false"], limit: limit)
        isActive = false
        guard let lsnText = result.value(0, "lsn"), let lsn = LSN(parsing: lsnText),
            let label = result.value(0, "labelfile")
        else {
            throw PostgresError(code: .unexpectedResult, libpqMessage: "backup stop returned no label file")
        }
        return Stopped(lsn: lsn, labelFile: label, tablespaceMap: result.value(0, "spcmapfile") ?? "")
    }

    /// Teardown: ends backup mode without waiting for archiving and drops the slot, even after
    /// a signal, each within `QueryLimit.teardown`. After a cancelled `pg_backup_stop` the
    /// server may already have left backup mode, so its "not in progress" error is expected;
    /// if the session is gone, the server ended both when it ended.
    public func abandon() {
        if isActive {
            _ = try? session.query(stopSQL, ["false"], limit: .teardown)
            isActive = false
        }
        if let slotName {
            _ = try? session.query("SELECT pg_drop_replication_slot($1)", [slotName], limit: .teardown)
            self.slotName = nil
        }
    }

    private var stopSQL: String {
        version >= 150_000
            ? "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop($1)"
            : "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, $1)"
    }

    /// Drops the slot (the server drops it anyway when the session ends).
    public func releaseWAL() throws(PostgresError) {
        guard let slotName else { return }
        _ = try session.query("SELECT pg_drop_replication_slot($1)", [slotName])
        self.slotName = nil
    }

    /// `wal_segment_size` in bytes.
    public func walSegmentSize() throws(PostgresError) -> UInt64 {
        let text = try session.query(
            "SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'"
        ).scalar()
        guard let text, let bytes = UInt64(text), bytes > 0 else {
            throw PostgresError(code: .unexpectedResult, libpqMessage: "cannot read wal_segment_size")
        }
        return bytes
    }
}

import PostgresClient

/// The backup session beyond backup mode itself: the bounded wait for WAL archiving, and
/// what the server said when it ended the session.
extension BackupRun {
    /// With `wal_archive`, the wait for the server's WAL archiving is bounded by
    /// `wal_archive_timeout`: a failing `archive_command` would otherwise hold backup mode and
    /// the run lock until someone notices.
    func stopWaitingForArchive(_ backupMode: BackupMode) throws -> BackupMode.Stopped {
        guard settings.walArchive != nil else { return try backupMode.stop(waitForArchive: false) }
        let outcome = Result { () throws(PostgresError) -> BackupMode.Stopped in
            try backupMode.stop(waitForArchive: true, archiveTimeout: Double(settings.walArchiveTimeout))
        }
        if case .failure(let error) = outcome, error.code == .timedOut {
            throw BackupError(
                code: .archiveTimeout,
                detail: "WAL archiving did not finish within wal_archive_timeout (\(settings.walArchiveTimeout) s)",
                underlying: archiverFailure())
        }
        return try outcome.get()
    }

    /// pg_stat_archiver's account of the failure, read on the backup session if the cancel
    /// left it usable, else on a short second connection.
    private func archiverFailure() -> String {
        let limit = QueryLimit(timeout: 3, interruptible: true)
        if let session, case .success(let status) = readArchiver(session, limit: limit) {
            return status.failureSummary
        }
        let fresh: any PostgresSession
        do {
            fresh = try environment.connect(settings.conninfo)
        } catch {
            return "pg_stat_archiver could not be read (\(error.message))"
        }
        defer { fresh.close() }
        switch readArchiver(fresh, limit: limit) {
        case .success(let status): return status.failureSummary
        case .failure(let error): return "pg_stat_archiver could not be read (\(error.message))"
        }
    }

    private func readArchiver(_ session: any PostgresSession, limit: QueryLimit) -> Result<
        ArchiverStatus, PostgresError
    > {
        Result { () throws(PostgresError) -> ArchiverStatus in try ArchiverStatus.read(session, limit: limit) }
    }

    /// `: <the server's last words>` (`terminating connection due to administrator command`…)
    /// for a session the server ended, read by one short statement, so the one-line error
    /// says why; empty when there is nothing to read.
    func serverFarewell() -> String {
        guard let session else { return "" }
        do {
            _ = try session.query("SELECT 1", [], limit: .teardown)
            return ""
        } catch {
            return ": " + error.libpqMessage
        }
    }
}

public import PostgresClient

/// Reads the server facts and the cluster's directories over a session, with the SQL that fits
/// the server's version.
public struct ServerInspector {
    /// Oldest server pgsnap supports: non-exclusive backups and temporary replication slots.
    public static let minimumVersion = 100_000

    public let session: any PostgresSession

    public init(session: any PostgresSession) {
        self.session = session
    }

    /// The server's facts; `archiver` also reads pg_stat_archiver (for a backup with
    /// `wal_archive`), `databaseSize` the databases' size (for `check`'s estimate).
    public func facts(archiver: Bool = false, databaseSize: Bool = false) throws(PostgresError) -> ServerFacts {
        let version = session.serverVersionNumber
        let result = try session.query(
            """
            SELECT current_setting('server_version') AS version,
                   current_setting('wal_level') AS wal_level,
                   current_setting('archive_mode') AS archive_mode,
                   current_setting('data_checksums') AS data_checksums,
                   (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS data_directory,
                   current_user AS role,
                   (SELECT rolsuper OR rolreplication FROM pg_roles WHERE rolname = current_user) AS can_slot,
                   \(Self.backupPrivilegeSQL(version: version)) AS can_backup
            """)
        return ServerFacts(
            version: result.value(0, "version") ?? "", versionNumber: version,
            systemIdentifier: try? systemIdentifier(), dataDirectory: result.value(0, "data_directory"),
            walLevel: result.value(0, "wal_level") ?? "", archiveMode: result.value(0, "archive_mode") ?? "",
            dataChecksums: result.value(0, "data_checksums") == "on", role: result.value(0, "role") ?? "",
            canRunBackupFunctions: result.value(0, "can_backup") == "t",
            canCreateReplicationSlot: result.value(0, "can_slot") == "t",
            databaseBytes: databaseSize ? (try? databaseBytes()) : nil,
            archiver: archiver ? try ArchiverStatus.read(session) : nil)
    }

    /// Every database the role may connect to (pg_database_size refuses the others), all
    /// tablespaces included: what a backup copies, give or take WAL.
    private func databaseBytes() throws(PostgresError) -> UInt64? {
        let text = try session.query(
            """
            SELECT sum(pg_database_size(oid))::text FROM pg_database
            WHERE datallowconn AND has_database_privilege(oid, 'CONNECT')
            """
        ).scalar()
        return text.flatMap { UInt64($0) }
    }

    /// Both functions of the backup pair, with the signatures pgsnap calls on this version.
    static func backupPrivilegeSQL(version: Int) -> String {
        let (start, stop) =
            version >= 150_000
            ? ("pg_backup_start(text, boolean)", "pg_backup_stop(boolean)")
            : ("pg_start_backup(text, boolean, boolean)", "pg_stop_backup(boolean, boolean)")
        return "(has_function_privilege('\(start)', 'EXECUTE') AND has_function_privilege('\(stop)', 'EXECUTE'))"
    }

    private func systemIdentifier() throws(PostgresError) -> String? {
        try session.query("SELECT system_identifier::text FROM pg_control_system()").scalar()
    }

    /// The data directory (holding pg_default and pg_global), each user tablespace, and pg_wal.
    public func directories(dataDirectory: String) throws(PostgresError) -> [ClusterDirectory] {
        let result = try session.query(
            "SELECT oid::text, spcname, pg_tablespace_location(oid) AS location FROM pg_tablespace ORDER BY pg_tablespace.oid"
        )
        var directories: [ClusterDirectory] = []
        for row in result.rows.indices {
            guard let oidText = result.value(row, "oid"), let oid = UInt32(oidText),
                let name = result.value(row, "spcname")
            else { continue }
            let location = result.value(row, "location") ?? ""
            let isBuiltIn = location.isEmpty
            directories.append(
                ClusterDirectory(
                    role: isBuiltIn ? .dataDirectory : .tablespace, name: name, oid: oid,
                    path: isBuiltIn ? dataDirectory : location))
        }
        directories.append(ClusterDirectory(role: .wal, name: "pg_wal", oid: nil, path: dataDirectory + "/pg_wal"))
        return directories
    }
}

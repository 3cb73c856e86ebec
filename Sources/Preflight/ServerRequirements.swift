import Foundation

/// What a server and role must offer for pgsnap to take a backup.
enum ServerRequirements {
    static func problems(_ facts: ServerFacts) -> [Problem] {
        var problems: [Problem] = []
        func add(_ code: String, _ message: String, _ hint: String) {
            problems.append(Problem(code: code, message: message, hint: hint, exitStatus: .postgres))
        }
        if facts.versionNumber < ServerInspector.minimumVersion {
            add(
                "server_version", "PostgreSQL \(facts.version) is too old: pgsnap needs 10 or newer",
                "upgrade the server")
        }
        if facts.walLevel == "minimal" {
            add(
                "wal_level", "wal_level is minimal, which cannot produce a consistent online backup",
                "set wal_level = replica in postgresql.conf and restart the server")
        }
        if facts.dataDirectory == nil {
            add(
                "data_directory_hidden", "role \(facts.role) may not read the data_directory setting",
                "GRANT pg_read_all_settings TO \(facts.role), or connect as a superuser")
        }
        if !facts.canRunBackupFunctions {
            let functions =
                facts.versionNumber >= 150_000 ? "pg_backup_start/pg_backup_stop" : "pg_start_backup/pg_stop_backup"
            add(
                "backup_privilege", "role \(facts.role) may not run \(functions)",
                "GRANT EXECUTE ON FUNCTION \(functions.replacingOccurrences(of: "/", with: ", ")) TO \(facts.role), or connect as a superuser"
            )
        }
        if !facts.canCreateReplicationSlot {
            add(
                "replication_privilege",
                "role \(facts.role) may not create the temporary replication slot that holds WAL during a backup",
                "ALTER ROLE \(facts.role) REPLICATION, or connect as a superuser")
        }
        if let archiver = facts.archiver, archiver.isFailing {
            add(
                "archiver_failing",
                "the server's WAL archiving is failing, and a backup with wal_archive waits for it: "
                    + archiver.failureSummary,
                "fix archive_command (the server log says why it fails); the backup would otherwise fail after wal_archive_timeout"
            )
        }
        return problems
    }
}

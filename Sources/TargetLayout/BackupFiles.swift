internal import PostgresFormat

/// Every name pgsnap gives a directory or file of the target, spelled once: what backup writes,
/// the catalog lists, and restore and verify read back.
///
/// ```
/// <target>/pgsnap.target                 the cluster the target is bound to (TargetBinding)
/// <target>/<id>.partial/                 a run still writing (or one that crashed)
/// <target>/<id>.failed/backup.json       all that is left of a run that failed
/// <target>/<id>/backup.json              a complete backup's record, written last
///               backup_manifest          PostgreSQL's manifest of every file
///               base.tar.zst             the data directory
///               <oid>.tar.zst            one per tablespace
///               pg_wal.tar.zst           the WAL from start to stop
///               backup_label             of an `external` record (pgsnap thaw): the label
///               tablespace_map           and map pg_backup_stop returned, for restore --in-place
/// ```
public enum BackupFiles {
    /// The backup record (`BackupRecord`, `FailedRunRecord`).
    public static let record = "backup.json"
    /// PostgreSQL's `backup_manifest`.
    public static let manifest = "backup_manifest"
    /// The data directory's archive.
    public static let baseArchive = "base.tar.zst"
    /// The WAL of the backup window, with its `archive_status/*.done` markers.
    public static let walArchive = "pg_wal.tar.zst"
    /// `pg_backup_stop`'s label file, kept as is in an `external` record.
    public static let backupLabel = "backup_label"
    /// `pg_backup_stop`'s tablespace map, kept in an `external` record (empty without tablespaces).
    public static let tablespaceMap = "tablespace_map"
    /// What every archive's name ends with.
    public static let archiveSuffix = ".tar.zst"

    /// A run that is still writing its backup directory (or crashed while it did). pgsnap
    /// follows PostgreSQL's own convention for a file it has not finished (a streamed or
    /// abandoned WAL segment): one meaning, "incomplete, never use as is", so one spelling.
    public static let partialSuffix = WALFileName.partialSuffix
    /// A run that failed: its directory keeps only the record.
    public static let failedSuffix = ".failed"
    /// A backup directory being removed by retention.
    public static let removingSuffix = ".removing"

    /// `<oid>.tar.zst`.
    public static func tablespaceArchive(oid: UInt32) -> String {
        "\(oid)" + archiveSuffix
    }

    /// The OID of a tablespace archive's name, nil for any other name (`0016384.tar.zst`
    /// included: only the name `tablespaceArchive(oid:)` writes counts).
    public static func tablespaceOID(archive name: String) -> UInt32? {
        guard name.hasSuffix(archiveSuffix), let oid = UInt32(name.dropLast(archiveSuffix.count)),
            tablespaceArchive(oid: oid) == name
        else { return nil }
        return oid
    }

    /// The name of an archive without `.tar.zst`, for progress lines.
    public static func volumeName(archive name: String) -> String {
        name.hasSuffix(archiveSuffix) ? String(name.dropLast(archiveSuffix.count)) : name
    }
}

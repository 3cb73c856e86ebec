/// One archive of a backup: which directory its files come from and how they are named inside.
struct ArchiveJob: Sendable {
    enum Kind: Sendable {
        /// The data directory: pg_basebackup's exclusions, `backup_label` and `tablespace_map` first.
        case dataDirectory(generated: [GeneratedFile])
        /// A tablespace: only this server's version directory, manifest paths under pg_tblspc/<oid>/.
        case tablespace(oid: UInt32, versionDirectory: String)
        /// WAL segments, by name, at the archive's top level (extracted into pg_wal/).
        case wal(segments: [String])
    }

    struct GeneratedFile: Sendable {
        var path: String
        var contents: [UInt8]
    }

    /// `base.tar.zst`, `<oid>.tar.zst` or `pg_wal.tar.zst`.
    var archiveName: String
    /// The directory read: a snapshot's mount point plus the path inside it, or the live directory.
    var sourceRoot: String
    var kind: Kind
    /// `vg/lv` of the snapshot read from, when there is one.
    var origin: String?
}

/// What writing one archive produced.
struct ArchiveOutcome: Sendable {
    var archiveName: String
    var bytesRead: UInt64
    var bytesWritten: UInt64
    var files: Int
}

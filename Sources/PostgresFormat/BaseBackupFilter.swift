/// pg_basebackup's rules for what a base backup leaves out (basebackup.c: `excludeDirContents`,
/// `excludeFiles`, `sendDir`), so that pgsnap's archives restore exactly like its archives.
///
/// Everything left out is recreated, reset or regenerated when the server starts from the
/// backup; archiving it would only cost time, or worse, bring back state that must not survive
/// (a stale `postmaster.pid`, another backup's `backup_label`).
public struct BaseBackupFilter: Sendable, Equatable {
    /// The major version of the server whose files are archived (a few rules changed over time).
    public let serverMajorVersion: Int

    public init(serverMajorVersion: Int) {
        self.serverMajorVersion = serverMajorVersion
    }

    /// Directories archived empty: their contents are removed or rebuilt at startup, but the
    /// directories themselves carry permissions the server expects.
    public static let directoriesKeptEmpty: Set<RawPath> = [
        "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans",
    ]

    /// Files never archived, by exact name. `backup_label.old` is pgsnap's addition to
    /// PostgreSQL's list: it is what recovery renamed the label of the backup this cluster was
    /// once restored from, describes no backup of ours, and would only mislead whoever reads
    /// the restored directory.
    public static let excludedFileNames: Set<RawPath> = [
        "postgresql.auto.conf.tmp", "current_logfiles.tmp", "backup_label", "tablespace_map", "backup_manifest",
        "postmaster.pid", "postmaster.opts", "backup_label.old",
    ]

    /// Names excluded by prefix: the relation cache (rebuilt at startup, including its temporary
    /// files) and temporary files and directories.
    public static let excludedNamePrefixes: [RawPath] = ["pg_internal.init", "pgsql_tmp"]

    /// Whether a directory entry with this name is left out whatever its type.
    public func excludes(name: RawPath) -> Bool {
        if Self.excludedFileNames.contains(name) { return true }
        if Self.excludedNamePrefixes.contains(where: { name.hasPrefix($0) }) { return true }
        // PostgreSQL 17 started skipping macOS's Finder metadata.
        return serverMajorVersion >= 17 && name == ".DS_Store"
    }

    /// Whether a directory of this name goes into the archive without its contents.
    public func keepsEmpty(directoryNamed name: RawPath) -> Bool {
        Self.directoriesKeptEmpty.contains(name)
    }

    /// The empty directories created inside the (also empty) `pg_wal`: the server needs them
    /// before it can restore WAL.
    public var walSubdirectories: [RawPath] {
        serverMajorVersion >= 17 ? ["archive_status", "summaries"] : ["archive_status"]
    }

    /// Whether `name`, in a database directory whose other names are `siblings`, is a fork
    /// of an unlogged relation other than its init fork, or a temporary relation: both are
    /// reset at startup, so only the init fork is worth archiving.
    public func excludesRelationFile(name: RawPath, siblings: Set<RawPath>) -> Bool {
        if let relation = RelationFileName.parseNonTemporary(name.bytes), relation.fork != .initialization {
            let initFork = RawPath(bytes: Array(relation.number) + Array("_init".utf8))
            if siblings.contains(initFork) { return true }
        }
        return RelationFileName.looksTemporary(name.bytes)
    }
}

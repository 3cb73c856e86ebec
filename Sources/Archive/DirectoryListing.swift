public import PostgresFormat

/// What `DirectoryWalker` found in one volume: the members to archive, in archive order, and
/// what it left out that an administrator may want to hear about.
public struct DirectoryListing: Sendable, Equatable {
    /// Members in the order they go into the tar: sorted, each directory before its contents,
    /// and `global/pg_control` last, as pg_basebackup sends it.
    public var entries: [ArchiveEntry]
    /// Sockets, FIFOs, devices and symlinks outside `pg_tblspc` that were skipped (pg_basebackup
    /// warns "skipping special file" about the same ones).
    public var skippedSpecialFiles: [RawPath]

    public init(entries: [ArchiveEntry], skippedSpecialFiles: [RawPath]) {
        self.entries = entries
        self.skippedSpecialFiles = skippedSpecialFiles
    }

    /// The sum of the regular files' sizes: the bytes an archiver will read, for progress.
    public var totalFileBytes: UInt64 {
        entries.reduce(0) { $0 + $1.header.size }
    }
}

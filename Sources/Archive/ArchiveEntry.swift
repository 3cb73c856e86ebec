internal import Glibc
public import PostgresFormat
internal import SystemCalls

/// One member of a volume's archive: what goes into the tar header, and where to read it.
///
/// The source and the archive path are separate because pgsnap reads from a read-only snapshot
/// mount (`/run/pgsnap/mnt/abc/pgdata/base/5/1259`) while the archive must say `base/5/1259`.
public struct ArchiveEntry: Sendable, Equatable {
    public var header: TarHeader
    /// Absolute path to read the contents from (files) or that was examined (others).
    public var sourcePath: RawPath

    public init(header: TarHeader, sourcePath: RawPath) {
        self.header = header
        self.sourcePath = sourcePath
    }

    public var kind: EntryKind { header.kind }
    public var archivePath: RawPath { header.path }
    public var size: UInt64 { header.size }

    /// The regular file at `source`, named `archivePath` in the archive, with its current
    /// metadata; nil when it does not exist. For archives assembled from chosen files rather
    /// than a walk, such as WAL segments for `pg_wal.tar`.
    public static func regularFile(at source: RawPath, named archivePath: RawPath) throws(ArchiveError)
        -> ArchiveEntry?
    {
        var status = stat()
        guard source.withCString({ lstat($0, &status) }) == 0 else {
            if errno == ENOENT { return nil }
            throw SystemCall.error(.readFailed, source, "could not stat file")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ArchiveError(code: .readFailed, path: source.description, reason: "not a regular file")
        }
        let header = TarHeader(
            kind: .file, path: archivePath, mode: status.st_mode, uid: status.st_uid,
            gid: status.st_gid, modificationTime: Int64(status.st_mtim.tv_sec),
            size: UInt64(max(status.st_size, 0)))
        return ArchiveEntry(header: header, sourcePath: source)
    }
}

internal import Glibc
public import PostgresFormat
internal import SystemCalls

/// Lists a data directory or a tablespace the way pg_basebackup's `sendDir` walks it, reading
/// from wherever the files are (a snapshot mount) and naming them as the archive must.
///
/// Symlinks are never followed (`lstat` throughout), so a link cannot pull files from outside
/// the volume into its archive, and a link loop cannot trap the walk. Names are sorted bytewise
/// so two backups of the same files produce the same archive order.
public struct DirectoryWalker: Sendable {
    public let filter: BaseBackupFilter

    public init(filter: BaseBackupFilter) {
        self.filter = filter
    }

    /// Lists the data directory at `root` (for example a snapshot's mount point) for `base.tar`.
    ///
    /// - Parameters:
    ///   - skipping: directories (relative, like "ts/inside") archived empty because they are
    ///     tablespaces located inside the data directory, archived separately.
    ///   - includeTablespaceLinks: false when a `tablespace_map` goes into the archive instead of
    ///     the `pg_tblspc` symlinks (pg_basebackup's rule).
    public func dataDirectory(
        at root: RawPath, skipping: Set<RawPath> = [],
        includeTablespaceLinks: Bool = true
    ) throws(ArchiveError) -> DirectoryListing {
        let rootStatus = try status(root, follow: true)
        guard let rootStatus, Self.type(rootStatus) == S_IFDIR else {
            throw ArchiveError(code: .readFailed, path: root.description, reason: "not a directory")
        }
        // pg_dir_create_mode: 0750 when the cluster allows group access, else 0700.
        let groupAccess = (rootStatus.st_mode & 0o750) == 0o750
        let context = Context(
            volume: .dataDirectory, directoryMode: groupAccess ? 0o750 : 0o700,
            skipping: skipping, includeTablespaceLinks: includeTablespaceLinks)
        var walk = Walk()
        try walkDirectory(source: root, components: [], context: context, walk: &walk)
        walk.listing.entries += walk.deferred
        return walk.listing
    }

    /// Lists the tablespace whose `CREATE TABLESPACE … LOCATION` is `location`, for `<oid>.tar`:
    /// only `versionDirectory` (this server's `PG_<major>_<catversion>`), as pg_basebackup does,
    /// since other versions' directories belong to other clusters (pg_upgrade leftovers).
    /// A tablespace without that directory gives an empty listing.
    public func tablespace(at location: RawPath, versionDirectory: RawPath) throws(ArchiveError) -> DirectoryListing {
        let source = location.appending(versionDirectory)
        var walk = Walk()
        guard let versionStatus = try status(source, follow: false) else { return walk.listing }
        guard Self.type(versionStatus) == S_IFDIR else {
            throw ArchiveError(code: .readFailed, path: source.description, reason: "not a directory")
        }
        walk.listing.entries.append(Self.entry(.directory, versionDirectory, source, versionStatus))
        let context = Context(
            volume: .tablespace(versionDirectory), directoryMode: 0o700, skipping: [],
            includeTablespaceLinks: false)
        try walkDirectory(source: source, components: [versionDirectory], context: context, walk: &walk)
        return walk.listing
    }

    // MARK: - The walk

    private enum Volume: Equatable {
        case dataDirectory
        case tablespace(RawPath)
    }

    private struct Context {
        let volume: Volume
        let directoryMode: UInt32
        let skipping: Set<RawPath>
        let includeTablespaceLinks: Bool
    }

    private struct Walk {
        var listing = DirectoryListing(entries: [], skippedSpecialFiles: [])
        /// `global/pg_control`, which goes last so a restore with a torn copy fails loudly.
        var deferred: [ArchiveEntry] = []
    }

    private func walkDirectory(
        source: RawPath, components: [RawPath], context: Context,
        walk: inout Walk
    ) throws(ArchiveError) {
        // A directory that vanished since its parent was listed is not an error (live path).
        guard let names = try directoryNames(source) else { return }
        let siblings = Set(names)
        let isDatabase = isDatabaseDirectory(components, context.volume)
        let relative = RawPath(bytes: Array(components.map(\.bytes).joined(separator: [UInt8(ascii: "/")])))
        for name in names {
            if filter.excludes(name: name) { continue }
            if isDatabase && filter.excludesRelationFile(name: name, siblings: siblings) { continue }
            let childSource = source.appending(name)
            let childArchive = relative.appending(name)
            guard let status = try status(childSource, follow: false) else { continue }
            let type = Self.type(status)
            let isDirectoryLike = type == S_IFDIR || type == S_IFLNK

            if isDirectoryLike && filter.keepsEmpty(directoryNamed: name) {
                walk.listing.entries.append(Self.directory(childArchive, childSource, status, context))
                continue
            }
            if context.volume == .dataDirectory && childArchive == "pg_wal" && isDirectoryLike {
                // Never WAL itself, wherever pg_wal points: it comes from the archive or pg_wal.tar.
                let directory = Self.directory(childArchive, childSource, status, context)
                walk.listing.entries.append(directory)
                for subdirectory in filter.walSubdirectories {
                    var nested = directory
                    nested.header.path = childArchive.appending(subdirectory)
                    nested.sourcePath = childSource.appending(subdirectory)
                    walk.listing.entries.append(nested)
                }
                continue
            }
            switch type {
            case S_IFLNK where context.volume == .dataDirectory && relative == "pg_tblspc":
                var entry = Self.entry(.symlink, childArchive, childSource, status)
                entry.header.linkTarget = try linkTarget(childSource)
                walk.listing.entries.append(entry)
            case S_IFDIR:
                walk.listing.entries.append(Self.entry(.directory, childArchive, childSource, status))
                let isTablespaceLinks = context.volume == .dataDirectory && childArchive == "pg_tblspc"
                if context.skipping.contains(childArchive) || (isTablespaceLinks && !context.includeTablespaceLinks) {
                    continue
                }
                try walkDirectory(source: childSource, components: components + [name], context: context, walk: &walk)
            case S_IFREG:
                let entry = Self.entry(.file, childArchive, childSource, status)
                if context.volume == .dataDirectory && childArchive == "global/pg_control" {
                    walk.deferred.append(entry)
                } else {
                    walk.listing.entries.append(entry)
                }
            default:
                walk.listing.skippedSpecialFiles.append(childSource)
            }
        }
    }

    /// `base/<oid>` in the data directory, `<version dir>/<oid>` in a tablespace, and
    /// `pg_tblspc/<oid>/PG_…/<oid>` for in-place tablespaces: where relation files live.
    private func isDatabaseDirectory(_ components: [RawPath], _ volume: Volume) -> Bool {
        guard let last = components.last, !last.isEmpty,
            last.bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return false }
        switch volume {
        case .dataDirectory:
            if components.count == 2 && components[0] == "base" { return true }
            return components.count == 4 && components[0] == "pg_tblspc" && components[2].hasPrefix("PG_")
        case .tablespace(let versionDirectory):
            return components.count == 2 && components[0] == versionDirectory
        }
    }

    // MARK: - System calls

    private func directoryNames(_ path: RawPath) throws(ArchiveError) -> [RawPath]? {
        guard let directory = path.withCString({ opendir($0) }) else {
            if errno == ENOENT { return nil }
            throw SystemCall.error(.readFailed, path, "could not open directory")
        }
        defer { closedir(directory) }
        var names: [RawPath] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw SystemCall.error(.readFailed, path, "could not read directory") }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                return Array(bytes.prefix { $0 != 0 })
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(RawPath(bytes: name))
        }
        return names.sorted()
    }

    /// `lstat` (or `stat`), nil when the path vanished.
    private func status(_ path: RawPath, follow: Bool) throws(ArchiveError) -> stat? {
        var result = stat()
        let rc = path.withCString { follow ? stat($0, &result) : lstat($0, &result) }
        if rc == 0 { return result }
        if errno == ENOENT { return nil }
        throw SystemCall.error(.readFailed, path, "could not stat file or directory")
    }

    private func linkTarget(_ path: RawPath) throws(ArchiveError) -> RawPath {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let length = path.withCString { name in
            buffer.withUnsafeMutableBufferPointer { target -> Int in
                guard let base = target.baseAddress else { return -1 }
                return readlink(name, base, target.count)
            }
        }
        if length < 0 { throw SystemCall.error(.readFailed, path, "could not read symbolic link") }
        guard length < buffer.count else {
            throw ArchiveError(
                code: .unrepresentable, path: path.description,
                reason: "symbolic link target is too long")
        }
        return RawPath(bytes: buffer[0..<length].map { UInt8(bitPattern: $0) })
    }

    // MARK: - Entries

    private static func type(_ status: stat) -> UInt32 {
        status.st_mode & S_IFMT
    }

    private static func entry(
        _ kind: EntryKind, _ archivePath: RawPath, _ source: RawPath,
        _ status: stat
    ) -> ArchiveEntry {
        let header = TarHeader(
            kind: kind, path: archivePath, mode: status.st_mode, uid: status.st_uid,
            gid: status.st_gid, modificationTime: Int64(status.st_mtim.tv_sec),
            size: kind == .file ? UInt64(max(status.st_size, 0)) : 0)
        return ArchiveEntry(header: header, sourcePath: source)
    }

    /// A directory entry; a symlink in a directory's place (pg_wal on another volume) becomes a
    /// directory with the server's default directory mode, as pg_basebackup writes it.
    private static func directory(
        _ archivePath: RawPath, _ source: RawPath, _ status: stat,
        _ context: Context
    ) -> ArchiveEntry {
        var entry = entry(.directory, archivePath, source, status)
        if type(status) == S_IFLNK { entry.header.mode = context.directoryMode }
        return entry
    }
}

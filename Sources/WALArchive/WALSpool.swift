import Foundation
import PostgresFormat
import SystemCalls

/// archive-get's prefetch spool, `pg_wal/.pgsnap-spool` (docs/wal-archive.md): segments fetched
/// ahead of the server's requests, decompressed, under their own names. It sits inside pg_wal so
/// that serving an entry is a rename into %p (one file system, also when pg_wal is a symbolic
/// link), and because nothing else reads it there: PostgreSQL looks only at WAL file names in
/// pg_wal, and base backups (pg_basebackup's and pgsnap's) copy none of pg_wal's contents.
///
/// Nothing in it is trusted: an entry is served only when its length and SHA-256 match the
/// archived file's header read again for that request; a damaged or different one is removed
/// and the segment comes from the archive instead.
struct WALSpool {
    static let directoryName = ".pgsnap-spool"
    static let temporarySuffix = ".tmp"

    let directory: String

    /// The spool of `walDirectory`, nil unless that is a `pg_wal`: only the server's own
    /// requests (recovery, pg_rewind) use it, so an archive-get by hand into another directory
    /// leaves nothing behind there.
    init?(walDirectory: String) {
        guard walDirectory.split(separator: "/").last == "pg_wal" else { return nil }
        directory = walDirectory + "/" + Self.directoryName
    }

    func path(_ name: String) -> String {
        directory + "/" + name
    }

    /// `.<name>.<pid>.tmp`: hidden and never a WAL name, so a cut one is never served.
    func temporaryPath(_ name: String) -> String {
        directory + "/." + name + ".\(getpid())" + Self.temporarySuffix
    }

    /// Creates the spool (0700) if needed; false when it cannot be used (then nothing is
    /// prefetched, the request itself is served from the archive).
    func prepare() -> Bool {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { return false }
        return isUsable()
    }

    /// Whether the spool is there as a directory of this user's closed to others: never
    /// followed through a symbolic link, never read when someone else could have written it.
    func isUsable() -> Bool {
        var info = stat()
        return lstat(directory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR && info.st_uid == geteuid()
            && info.st_mode & 0o077 == 0
    }

    /// The names of the spooled segments (temporaries and anything else left out).
    func entries() -> [String] {
        listing().filter(WALFileName.isSegmentName)
    }

    /// Serves spooled `name` as `destination` when its bytes are exactly what `header` says the
    /// archive holds: fsync'd, renamed, the directory fsync'd. `.absent` when there is no entry,
    /// `.discarded` when there was one that did not match (it is removed).
    func serve(
        _ name: String, expecting header: StoredWALHeader, to destination: String, directory walDirectory: String
    )
        throws(WALArchiveError) -> Served
    {
        let entry = path(name)
        let descriptor = open(entry, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return errno == ENOENT ? .absent : discard(entry, "cannot be opened") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return discard(entry, "is not a regular file")
        }
        guard UInt64(info.st_size) == header.originalLength else {
            return discard(entry, "is \(info.st_size) bytes, the archived file \(header.originalLength)")
        }
        var hash = SHA256()
        guard let length = try? WALFileIO.forEachChunk(descriptor, limit: header.originalLength, { hash.update($0) }),
            StoredWALHeader(originalLength: length, sha256: hash.digest()) == header
        else { return discard(entry, "does not match the archived file's SHA-256") }
        // Prefetch synced it already; this costs nothing then, and keeps %p's promise if not.
        guard SystemCall.retrying({ fsync(descriptor) }) == 0, rename(entry, destination) == 0 else {
            return discard(entry, "cannot be moved to \(destination): \(Errno.current)")
        }
        do {
            try WALFileIO.syncDirectory(walDirectory)
        } catch {
            throw WALArchiveError(
                code: .destination, detail: "cannot sync \(walDirectory)", underlying: error.description)
        }
        return .served
    }

    enum Served: Equatable {
        case served
        case absent
        /// Why the entry was not served and removed.
        case discarded(String)
    }

    private func discard(_ entry: String, _ reason: String) -> Served {
        unlink(entry)
        return .discarded(reason)
    }

    /// Removes every entry `keep` does not want, and the temporaries nobody holds locked any
    /// more (what an archive-get killed mid-prefetch left).
    func prune(keeping keep: (String) -> Bool) {
        for name in listing() {
            if WALFileName.isSegmentName(name) {
                if !keep(name) { unlink(path(name)) }
            } else if name.hasPrefix("."), name.hasSuffix(Self.temporarySuffix) {
                let descriptor = open(path(name), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard descriptor >= 0 else { continue }
                if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { unlink(path(name)) }
                close(descriptor)
            }
        }
    }

    /// The end of the archive (or of recovery): every entry and abandoned temporary goes, and
    /// the directory too once empty, so a promoted server's pg_wal keeps nothing of pgsnap's.
    func removeAll() {
        guard isUsable() else { return }
        prune { _ in false }
        rmdir(directory)
    }

    private func listing() -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

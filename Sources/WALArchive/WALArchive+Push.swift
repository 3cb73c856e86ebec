import Compression
import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

extension WALArchive {
    /// Archives the WAL file at `sourcePath` (archive_command's %p). Returns once it is durable:
    /// compressed into a hidden temporary, fsync'd, renamed to its name without replacing
    /// anything, the directory fsync'd. The same content already archived is success (a retry);
    /// different content is refused and the archived file kept.
    public func push(_ sourcePath: String) throws(WALArchiveError) {
        let fileName = String(sourcePath.split(separator: "/").last ?? "")
        let name = try Self.classify(fileName)
        let source = open(sourcePath, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else {
            throw WALArchiveError(
                code: .source, detail: "cannot open \(sourcePath)", underlying: Errno.current.description)
        }
        defer { close(source) }
        try checkSource(source, name: name, fileName: fileName, path: sourcePath)
        let stored = WALArchiveLayout.storedPath(name, fileName: fileName)
        let path = directory + "/" + stored
        if let existing = try storedHeader(path) {
            return try compare(existing, with: source, fileName: fileName, path: sourcePath)
        }
        let storedDirectory = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try makeDirectory(storedDirectory)
        let storedName = String(stored.split(separator: "/").last ?? "")
        Self.removeAbandonedTemporaries(of: storedName, in: storedDirectory)
        let temporary = storedDirectory + "/" + WALArchiveLayout.temporaryName(storedName: storedName, pid: getpid())
        let header = try writeCompressed(from: source, to: temporary, limit: name.maximumBytes, path: sourcePath)
        defer { unlink(temporary) }
        if Durability.renameNoReplace(temporary, to: path) != 0 {
            guard errno == EEXIST else {
                throw WALArchiveError(
                    code: .write, detail: "cannot rename into \(path)", underlying: Errno.current.description)
            }
            // Another push of the same file won the race: fine if it stored the same bytes.
            guard let existing = try storedHeader(path), existing == header else { throw conflict(fileName) }
            return
        }
        do {
            try WALFileIO.syncDirectory(storedDirectory)
        } catch {
            throw WALArchiveError(code: .write, detail: "cannot sync \(storedDirectory)", underlying: error.description)
        }
    }

    /// The file must be what its name says: for a segment, a page header of this cluster, its
    /// name's timeline and address, and the size it declares.
    private func checkSource(_ source: Int32, name: WALArchiveName, fileName: String, path: String)
        throws(WALArchiveError)
    {
        var info = stat()
        guard fstat(source, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw WALArchiveError(code: .source, detail: "\(path) is not a regular file")
        }
        let size = UInt64(info.st_size)
        guard size <= name.maximumBytes else {
            throw WALArchiveError(code: .refused, detail: "\(fileName) is \(size) bytes, larger than any such WAL file")
        }
        let segment: String
        switch name {
        case .segment(let base), .partial(let base): segment = base
        case .history, .backupHistory: return
        }
        let prefix: [UInt8]
        do {
            prefix = try WALFileIO.readPrefix(source, count: WALSegmentHeader.length)
        } catch {
            throw WALArchiveError(code: .source, detail: "cannot read \(path)", underlying: error.description)
        }
        let header = WALSegmentHeader(prefix)
        guard let segmentSize = header.declaredSegmentSize else {
            throw WALArchiveError(code: .refused, detail: "\(fileName) has no valid WAL page header")
        }
        if let problem = header.problem(
            name: segment, size: size, segmentSize: segmentSize, systemIdentifier: systemIdentifier, timelines: [])
        {
            throw WALArchiveError(code: .refused, detail: "refused to archive \(fileName): it \(problem)")
        }
    }

    func conflict(_ fileName: String) -> WALArchiveError {
        WALArchiveError(
            code: .conflict, detail: "\(fileName) is already archived in \(directory) with different content")
    }

    /// The header of the file archived at `path`, nil when nothing is archived there.
    func storedHeader(_ path: String) throws(WALArchiveError) -> StoredWALHeader? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw WALArchiveError(code: .damaged, detail: "cannot open \(path)", underlying: Errno.current.description)
        }
        defer { close(descriptor) }
        guard let bytes = try? WALFileIO.readPrefix(descriptor, count: StoredWALHeader.length),
            let header = StoredWALHeader(bytes)
        else {
            throw WALArchiveError(code: .damaged, detail: "\(path) is not a file pgsnap archived (no valid header)")
        }
        return header
    }

    /// Success when `source` holds exactly what is archived, else the conflict.
    private func compare(_ existing: StoredWALHeader, with source: Int32, fileName: String, path: String)
        throws(WALArchiveError)
    {
        var hash = SHA256()
        let length: UInt64
        do {
            length = try WALFileIO.forEachChunk(source, limit: 1 << 30) { hash.update($0) }
        } catch {
            throw WALArchiveError(code: .source, detail: "cannot read \(path)", underlying: "\(error)")
        }
        guard existing == StoredWALHeader(originalLength: length, sha256: hash.digest()) else {
            throw conflict(fileName)
        }
    }

    private func makeDirectory(_ path: String) throws(WALArchiveError) {
        if mkdir(path, 0o700) == 0 {
            do {
                try WALFileIO.syncDirectory(directory)
            } catch {
                throw WALArchiveError(code: .write, detail: "cannot sync \(directory)", underlying: error.description)
            }
        } else if errno != EEXIST {
            throw WALArchiveError(code: .write, detail: "cannot create \(path)", underlying: Errno.current.description)
        }
    }
}

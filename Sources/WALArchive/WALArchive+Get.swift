import Compression
import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

extension WALArchive {
    /// Restores archived `fileName` (restore_command's %f) to `destination` (%p): decompressed
    /// into a temporary next to it, checked against the archived length and SHA-256, fsync'd,
    /// renamed over `destination`, the directory fsync'd. A file not in the archive is
    /// `.notFound`, which the command turns into a silent exit 15.
    public func get(_ fileName: String, to destination: String) throws(WALArchiveError) {
        let name = try Self.classify(fileName)
        let path = archivedPath(name, fileName: fileName)
        guard let header = try storedHeader(path) else {
            throw WALArchiveError(code: .notFound, detail: "\(fileName) is not in the WAL archive \(directory)")
        }
        try restore(path, header: header, to: destination)
    }

    func archivedPath(_ name: WALArchiveName, fileName: String) -> String {
        directory + "/" + WALArchiveLayout.storedPath(name, fileName: fileName)
    }

    /// Restores the archived file at `path`, whose header is `header`, to `destination`.
    func restore(_ path: String, header: StoredWALHeader, to destination: String) throws(WALArchiveError) {
        let destinationDirectory = Self.directory(of: destination)
        Self.removeAbandonedGetTemporaries(in: destinationDirectory)
        let temporary = destinationDirectory + "/" + Self.getTemporaryPrefix + "\(getpid())" + Self.getTemporarySuffix
        try decompress(path, header: header, into: temporary)
        defer { unlink(temporary) }
        guard rename(temporary, destination) == 0 else {
            throw WALArchiveError(
                code: .destination, detail: "cannot rename to \(destination)", underlying: Errno.current.description)
        }
        do {
            try WALFileIO.syncDirectory(destinationDirectory)
        } catch {
            throw WALArchiveError(
                code: .destination, detail: "cannot sync \(destinationDirectory)", underlying: error.description)
        }
    }

    /// Decompresses the archived file at `path` into the new file `temporary`, checked against
    /// `header` and fsync'd. The temporary is held locked (flock) while it is written: how the
    /// next archive-get tells a killed one's file from a live one. On failure it is removed.
    func decompress(_ path: String, header: StoredWALHeader, into temporary: String) throws(WALArchiveError) {
        let input = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else {
            throw WALArchiveError(code: .damaged, detail: "cannot open \(path)", underlying: Errno.current.description)
        }
        defer { close(input) }
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard output >= 0 else {
            throw WALArchiveError(
                code: .destination, detail: "cannot create \(temporary)", underlying: Errno.current.description)
        }
        defer { close(output) }
        _ = flock(output, LOCK_EX | LOCK_NB)
        do {
            try decompress(input, into: output, expecting: header, path: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    }

    static let getTemporaryPrefix = ".pgsnap-archive-get."
    static let getTemporarySuffix = ".tmp"

    /// Removes the temporaries of archive-gets killed mid-write (nobody holds them locked), so
    /// pg_wal does not keep a dead one's partial segment for ever.
    static func removeAbandonedGetTemporaries(in directory: String) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            let middle = name.dropFirst(getTemporaryPrefix.count).dropLast(getTemporarySuffix.count)
            guard name.hasPrefix(getTemporaryPrefix), name.hasSuffix(getTemporarySuffix), !middle.isEmpty,
                middle.allSatisfy(\.isNumber)
            else { continue }
            let path = directory + "/" + name
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { unlink(path) }
            close(descriptor)
        }
    }

    private func decompress(_ input: Int32, into output: Int32, expecting header: StoredWALHeader, path: String)
        throws(WALArchiveError)
    {
        var hash = SHA256()
        var length: UInt64 = 0
        do {
            let decompressor = try ZstdDecompressor()
            guard lseek(input, off_t(StoredWALHeader.length), SEEK_SET) >= 0 else { throw Errno.current }
            _ = try WALFileIO.forEachChunk(input, limit: 2 << 30) { chunk in
                try decompressor.decompress(chunk) { bytes in
                    length += UInt64(bytes.count)
                    guard length <= header.originalLength else { throw WALFileIO.SizeExceeded(limit: length) }
                    hash.update(bytes)
                    try WALFileIO.writeAll(output, bytes)
                }
            }
            try decompressor.finish()
        } catch let failure as Errno {
            throw WALArchiveError(code: .destination, detail: "cannot restore \(path)", underlying: failure.description)
        } catch {
            throw WALArchiveError(code: .damaged, detail: "\(path) is damaged", underlying: "\(error)")
        }
        guard StoredWALHeader(originalLength: length, sha256: hash.digest()) == header else {
            throw WALArchiveError(code: .damaged, detail: "\(path) does not match its checksum (damaged)")
        }
        guard SystemCall.retrying({ fsync(output) }) == 0 else {
            throw WALArchiveError(
                code: .destination, detail: "cannot sync \(path)", underlying: Errno.current.description)
        }
    }
}

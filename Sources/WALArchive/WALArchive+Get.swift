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
        let path = directory + "/" + WALArchiveLayout.storedPath(name, fileName: fileName)
        guard let header = try storedHeader(path) else {
            throw WALArchiveError(code: .notFound, detail: "\(fileName) is not in the WAL archive \(directory)")
        }
        let input = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else {
            throw WALArchiveError(code: .damaged, detail: "cannot open \(path)", underlying: Errno.current.description)
        }
        defer { close(input) }
        let slash = destination.lastIndex(of: "/")
        let destinationDirectory = slash.map { String(destination[..<$0]) } ?? "."
        let temporary = destinationDirectory + "/.pgsnap-archive-get.\(getpid()).tmp"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard output >= 0 else {
            throw WALArchiveError(
                code: .destination, detail: "cannot create \(temporary)", underlying: Errno.current.description)
        }
        defer { unlink(temporary) }
        do {
            defer { close(output) }
            try decompress(input, into: output, expecting: header, path: path)
        }
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

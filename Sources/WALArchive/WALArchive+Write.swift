import Compression
import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

extension WALArchive {
    /// Compresses `source` into the new file `temporary`, header first, and fsyncs it. The file
    /// stays locked (flock) while it is written, which is how a later push tells a writer still
    /// at work from one a SIGKILL stopped. On any failure the temporary is removed.
    func writeCompressed(from source: Int32, to temporary: String, limit: UInt64, path: String)
        throws(WALArchiveError) -> StoredWALHeader
    {
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard output >= 0 else {
            throw WALArchiveError(
                code: .write, detail: "cannot create \(temporary)", underlying: Errno.current.description)
        }
        defer { close(output) }
        _ = flock(output, LOCK_EX | LOCK_NB)
        do {
            let header = try compress(source, into: output, limit: limit)
            let headerBytes = header.bytes
            let written = headerBytes.withUnsafeBytes { pwrite(output, $0.baseAddress, $0.count, 0) }
            guard written == headerBytes.count else { throw Errno.current }
            guard SystemCall.retrying({ fsync(output) }) == 0 else { throw Errno.current }
            return header
        } catch let failure as Errno {
            unlink(temporary)
            throw WALArchiveError(code: .write, detail: "cannot write \(temporary)", underlying: failure.description)
        } catch {
            unlink(temporary)
            throw WALArchiveError(code: .source, detail: "cannot archive \(path)", underlying: "\(error)")
        }
    }

    /// Writes a placeholder header, then the zstd frame of `source`, hashing what it reads.
    private func compress(_ source: Int32, into output: Int32, limit: UInt64) throws -> StoredWALHeader {
        let placeholder = [UInt8](repeating: 0, count: StoredWALHeader.length)
        try placeholder.withUnsafeBytes { try WALFileIO.writeAll(output, $0) }
        let compressor = try ZstdCompressor(level: compressionLevel, workers: 0)
        var hash = SHA256()
        guard lseek(source, 0, SEEK_SET) == 0 else { throw Errno.current }
        let length = try WALFileIO.forEachChunk(source, limit: limit) { chunk in
            hash.update(chunk)
            try compressor.compress(chunk) { try WALFileIO.writeAll(output, $0) }
        }
        try compressor.finish { try WALFileIO.writeAll(output, $0) }
        return StoredWALHeader(originalLength: length, sha256: hash.digest())
    }

    /// Removes temporaries of `storedName` nobody holds locked any more: what a push killed
    /// mid-write left. A temporary still locked belongs to a push at work and is left alone.
    static func removeAbandonedTemporaries(of storedName: String, in directory: String) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard WALArchiveLayout.isTemporary(name, of: storedName) else { continue }
            let path = directory + "/" + name
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { unlink(path) }
            close(descriptor)
        }
    }
}

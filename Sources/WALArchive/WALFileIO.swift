import Foundation
import SystemCalls

/// The reads and writes of archive-push and archive-get, each failure carrying `strerror` text.
enum WALFileIO {
    static let chunkSize = 1 << 20

    /// Reads `descriptor` to its end in chunks, at most `limit` bytes in all.
    static func forEachChunk(
        _ descriptor: Int32, limit: UInt64, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> UInt64 {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var total: UInt64 = 0
        while true {
            let count = SystemCall.retrying {
                buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            }
            if count < 0 { throw Errno.current }
            if count == 0 { return total }
            total += UInt64(count)
            if total > limit { throw SizeExceeded(limit: limit) }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
    }

    struct SizeExceeded: Error, CustomStringConvertible {
        let limit: UInt64
        var description: String { "larger than \(limit) bytes, which no such WAL file is" }
    }

    /// Writes all of `bytes`, retrying short writes.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = SystemCall.retrying { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { throw Errno.current }
            if written == 0 { throw Errno(EIO) }
            offset += written
        }
    }

    /// Reads exactly `count` bytes from the start of `descriptor`, fewer only at its end.
    static func readPrefix(_ descriptor: Int32, count: Int) throws(Errno) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = SystemCall.retrying {
                bytes.withUnsafeMutableBytes {
                    pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(filled))
                }
            }
            if got < 0 { throw Errno.current }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes[0..<filled])
    }

    /// fsync of a directory, so a rename in it survives a power loss.
    static func syncDirectory(_ path: String) throws(Errno) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Errno.current }
        defer { close(descriptor) }
        guard SystemCall.retrying({ fsync(descriptor) }) == 0 else { throw Errno.current }
    }
}

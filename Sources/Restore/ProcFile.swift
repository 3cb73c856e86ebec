internal import Glibc
internal import SystemCalls

/// Small files read to their end with read(2): `/proc` files report a size of 0, so anything
/// that trusts st_size reads nothing. Bounded, since a command line can be long.
enum ProcFile {
    static let limit = 64 << 10

    /// The file's first `limit` bytes, or nil with errno set.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = SystemCall.retrying {
                buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return Array(bytes.prefix(limit))
    }
}

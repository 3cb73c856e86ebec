import Foundation
import Testing

/// A Unix socket that accepts connections (the kernel's backlog) and never reads or answers:
/// a server behind a network partition. `close` resets the connections waiting on it.
final class MuteListener: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8CString)
        try #require(bytes.count <= MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes.map { UInt8(bitPattern: $0) }) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            close()
            try #require(Bool(false), "cannot listen on \(path): \(String(cString: strerror(errno)))")
            return
        }
    }

    /// Idempotent, from any thread.
    func close() {
        lock.withLock {
            if descriptor >= 0 { Foundation.close(descriptor) }
            descriptor = -1
        }
    }

    deinit { close() }
}

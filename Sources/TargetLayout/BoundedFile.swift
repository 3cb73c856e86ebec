internal import Archive
internal import Foundation
internal import Glibc
internal import SystemCalls

/// Reads a whole file of a backup directory into memory, but only when it is no larger than
/// the caller's bound: every size in a backup directory is an input, and a huge or endless
/// file (a FIFO, `/dev/zero` behind a symlink) must be a damaged backup, never an exhausted
/// memory.
public enum BoundedFile {
    public enum Failure: Error, Sendable, Equatable {
        case missing
        case tooLarge(limit: Int)
        case unreadable(String)

        /// The words after the file's name: "is missing", "is larger than 16 MiB, ...".
        public var description: String {
            switch self {
            case .missing: return "is missing"
            case .tooLarge(let limit): return "is larger than \(limit >> 20) MiB, far more than pgsnap writes"
            case .unreadable(let reason): return "cannot be read (\(reason))"
            }
        }
    }

    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if descriptor < 0 {
            return .failure(errno == ENOENT ? .missing : .unreadable(Errno.current.description))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(.unreadable(Errno.current.description)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.unreadable("not a regular file")) }
        guard info.st_size <= limit else { return .failure(.tooLarge(limit: limit)) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = SystemCall.retrying {
                buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }
            if count < 0 { return .failure(.unreadable(Errno.current.description)) }
            if count == 0 { return .success(bytes) }
            // The file may grow while it is read; the bound holds all the same.
            guard bytes.count + count <= limit else { return .failure(.tooLarge(limit: limit)) }
            bytes += buffer[0..<count]
        }
    }
}

internal import Glibc

/// An errno value and the text an administrator can search for: the only place pgsnap turns an
/// error number into words, so every message says it the same way (strerror's, unchanged).
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    /// The error number (ENOENT, EACCES, ...), as errno or a pthread/posix_spawn return value holds it.
    public let code: Int32

    public init(_ code: Int32) {
        self.code = code
    }

    /// The calling thread's errno now: read it before any other call can change it.
    public static var current: Errno { Errno(errno) }

    /// `strerror` text, such as "No such file or directory".
    public var description: String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

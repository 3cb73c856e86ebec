/// A file path as the bytes the kernel uses, without a terminating NUL.
///
/// PostgreSQL's own file names are ASCII, but an administrator can put a file with a Latin-1
/// name into the data directory or create a tablespace at such a location. A `String` would
/// repair those bytes into U+FFFD and the archive would then name a file that does not exist,
/// so paths stay bytes from `readdir` to the tar header and the manifest's `Encoded-Path`.
public struct RawPath: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The path as text, with invalid UTF-8 replaced; for messages, never for file access.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    /// The path as text, or nil when the bytes are not valid UTF-8.
    public var string: String? { String(validating: bytes, as: UTF8.self) }

    /// Whether the bytes are valid UTF-8 (the manifest writes `Path` rather than `Encoded-Path`).
    public var isValidUTF8: Bool { string != nil }

    /// `self/component`, or just `component` when `self` is empty.
    public func appending(_ component: RawPath) -> RawPath {
        if bytes.isEmpty { return component }
        if component.bytes.isEmpty { return self }
        var joined = bytes
        if joined.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        joined += component.bytes
        return RawPath(bytes: joined)
    }

    /// The part after the last slash (the whole path when there is none).
    public var lastComponent: RawPath {
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return self }
        return RawPath(bytes: Array(bytes[(slash + 1)...]))
    }

    /// Whether the path begins with `prefix`'s bytes.
    public func hasPrefix(_ prefix: RawPath) -> Bool {
        bytes.starts(with: prefix.bytes)
    }

    /// Byte order, the same as `strcmp`, so listings sort the same way on every machine and
    /// whatever the locale.
    public static func < (lhs: RawPath, rhs: RawPath) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Calls `body` with a NUL-terminated copy for C APIs.
    public func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var terminated = bytes.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return try terminated.withUnsafeBufferPointer { buffer throws(E) -> R in
            guard let base = buffer.baseAddress else { preconditionFailure("a terminated path is never empty") }
            return try body(base)
        }
    }
}

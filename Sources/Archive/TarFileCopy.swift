/// How one file's contents went into the archive.
public struct TarFileCopy: Sendable, Equatable {
    /// Bytes actually read from the file (at most the size in the header).
    public var bytesRead: UInt64
    /// Zeros written because the file ended early: it shrank between listing and reading, which
    /// only happens on the live (no-snapshot) path, and WAL replay rewrites those blocks.
    public var zeroFilled: UInt64

    public init(bytesRead: UInt64, zeroFilled: UInt64) {
        self.bytesRead = bytesRead
        self.zeroFilled = zeroFilled
    }
}

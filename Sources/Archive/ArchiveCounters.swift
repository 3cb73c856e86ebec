/// How far archiving has got, for a progress line: bytes read from the cluster, compressed
/// bytes written to the target, and files done.
public struct ArchiveCounters: Sendable, Equatable {
    public var bytesRead: UInt64
    public var bytesWritten: UInt64
    public var files: Int

    public init(bytesRead: UInt64 = 0, bytesWritten: UInt64 = 0, files: Int = 0) {
        self.bytesRead = bytesRead
        self.bytesWritten = bytesWritten
        self.files = files
    }
}

/// A file of a complete backup besides its record (the archives and `backup_manifest`), with
/// its size, for `pgsnap info`.
public struct ArchiveFile: Sendable, Equatable, Encodable {
    public var name: String
    public var bytes: UInt64

    public init(name: String, bytes: UInt64) {
        self.name = name
        self.bytes = bytes
    }
}

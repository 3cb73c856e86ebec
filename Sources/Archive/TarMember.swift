public import PostgresFormat

/// One member read back from a tar archive, with its pax and GNU long-name extensions applied.
///
/// Unlike `TarHeader`, which only describes what pgsnap writes, a member can be anything a
/// foreign or hostile archive holds (hard links, devices, FIFOs), so restore can refuse it by
/// name instead of misreading it as a file.
public struct TarMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symlink
        case hardLink
        /// Character or block device, FIFO, or a type this reader does not know: the typeflag.
        case other(UInt8)
    }

    public var kind: Kind
    /// The member's name as stored, without a trailing slash.
    public var path: RawPath
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var modificationTime: Int64
    /// Content bytes that follow the header (0 for anything but files).
    public var size: UInt64
    /// For symlinks and hard links.
    public var linkTarget: RawPath?

    public init(
        kind: Kind, path: RawPath, mode: UInt32, uid: UInt32, gid: UInt32, modificationTime: Int64,
        size: UInt64, linkTarget: RawPath?
    ) {
        self.kind = kind
        self.path = path
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.size = size
        self.linkTarget = linkTarget
    }
}

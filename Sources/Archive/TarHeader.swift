public import PostgresFormat

/// The metadata one tar member records: what `TarWriter` turns into a ustar header (plus a pax
/// extended header when a value does not fit).
public struct TarHeader: Sendable, Equatable {
    public var kind: EntryKind
    /// The member's name inside the archive, relative ("base/5/1259"); directories get their
    /// trailing slash from the writer.
    public var path: RawPath
    /// Permission bits, including setuid, setgid and sticky (`st_mode & 07777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Seconds since the epoch.
    public var modificationTime: Int64
    /// Content length for files; 0 for directories and symlinks.
    public var size: UInt64
    /// The target of a symlink, byte for byte as `readlink` returned it.
    public var linkTarget: RawPath?

    public init(
        kind: EntryKind, path: RawPath, mode: UInt32, uid: UInt32, gid: UInt32,
        modificationTime: Int64, size: UInt64 = 0, linkTarget: RawPath? = nil
    ) {
        self.kind = kind
        self.path = path
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.modificationTime = modificationTime
        self.size = kind == .file ? size : 0
        self.linkTarget = kind == .symlink ? linkTarget : nil
    }
}

internal import Glibc
public import PostgresFormat

/// A file that exists only in memory and goes first into `base.tar`: `backup_label` and
/// `tablespace_map`, which the server hands over at the end of backup mode rather than writing.
public struct GeneratedFile: Sendable, Equatable {
    public var path: RawPath
    public var contents: [UInt8]
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var modificationTime: Int64

    /// Owned by the running user with mode 0600 and the current time, as pg_basebackup stamps
    /// the files it injects.
    public init(
        path: RawPath, contents: [UInt8], mode: UInt32 = 0o600, uid: UInt32? = nil, gid: UInt32? = nil,
        modificationTime: Int64? = nil
    ) {
        self.path = path
        self.contents = contents
        self.mode = mode
        self.uid = uid ?? geteuid()
        self.gid = gid ?? getegid()
        self.modificationTime = modificationTime ?? Int64(time(nil))
    }

    public init(path: RawPath, text: String) {
        self.init(path: path, contents: Array(text.utf8))
    }

    var header: TarHeader {
        TarHeader(
            kind: .file, path: path, mode: mode, uid: uid, gid: gid, modificationTime: modificationTime,
            size: UInt64(contents.count))
    }
}

internal import Archive
public import PostgresFormat

/// A file restore keeps in memory and writes only at the very end: `backup_label` and
/// `global/pg_control` make a data directory startable, so they must not exist before every
/// other byte is in place; `tablespace_map` may be rewritten for relocated tablespaces.
public struct HeldFile: Sendable {
    public var path: RawPath
    public var contents: [UInt8]
    public var mode: UInt32
    public var modificationTime: Int64

    public init(path: RawPath, contents: [UInt8], mode: UInt32, modificationTime: Int64) {
        self.path = path
        self.contents = contents
        self.mode = mode
        self.modificationTime = modificationTime
    }

    /// Members held back, by name inside the data directory.
    public static let names: Set<RawPath> = ["backup_label", "tablespace_map", "global/pg_control"]
}

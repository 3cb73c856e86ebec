public import PostgresFormat

/// What archiving one volume produced, for the manifest and the backup's record.
public struct VolumeArchiveResult: Sendable, Equatable {
    /// One per regular file archived (generated files included), for `ManifestBuilder.add`.
    public var manifestRecords: [ManifestFileRecord]
    /// Regular files archived.
    public var files: Int
    /// Members of any kind written to the tar.
    public var members: Int
    /// File content read from the volume.
    public var bytesRead: UInt64
    /// The tar stream's size before compression.
    public var tarBytes: UInt64
    /// The compressed archive's size on the target.
    public var bytesWritten: UInt64
    /// Listed files that were gone when their turn came (only on the live path).
    public var vanishedFiles: [RawPath]
    /// Files that ended before their listed size and were padded with zeros.
    public var shrunkFiles: [RawPath]

    public init(
        manifestRecords: [ManifestFileRecord] = [], files: Int = 0, members: Int = 0, bytesRead: UInt64 = 0,
        tarBytes: UInt64 = 0, bytesWritten: UInt64 = 0, vanishedFiles: [RawPath] = [],
        shrunkFiles: [RawPath] = []
    ) {
        self.manifestRecords = manifestRecords
        self.files = files
        self.members = members
        self.bytesRead = bytesRead
        self.tarBytes = tarBytes
        self.bytesWritten = bytesWritten
        self.vanishedFiles = vanishedFiles
        self.shrunkFiles = shrunkFiles
    }
}

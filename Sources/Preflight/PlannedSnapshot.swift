public import Storage

/// One snapshot a backup will create: one per logical volume, however many cluster
/// directories share it.
public struct PlannedSnapshot: Sendable, Equatable, Encodable {
    public var origin: LogicalVolume
    /// Bytes to reserve for a classic snapshot, rounded up to whole extents; nil for thin.
    public var sizeBytes: UInt64?
    /// Names of the cluster directories on this volume (`pg_default`, `pg_wal`, …).
    public var directories: [String]
    /// `snapshot_size = auto`: `sizeBytes` is the least it may be until the backup sizes it.
    public var autoSized = false

    public init(origin: LogicalVolume, sizeBytes: UInt64?, directories: [String]) {
        self.origin = origin
        self.sizeBytes = sizeBytes
        self.directories = directories
    }

    enum CodingKeys: String, CodingKey {
        case vg, lv, type, pool
        case originBytes = "origin_bytes"
        case snapshotBytes = "snapshot_bytes"
        case directories
        case snapshotSizeAuto = "snapshot_size_auto"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin.volumeGroup, forKey: .vg)
        try container.encode(origin.name, forKey: .lv)
        try container.encode(origin.kind.rawValue, forKey: .type)
        try container.encode(origin.pool, forKey: .pool)
        try container.encode(origin.sizeBytes, forKey: .originBytes)
        try container.encode(sizeBytes, forKey: .snapshotBytes)
        try container.encode(directories, forKey: .directories)
        if autoSized { try container.encode(true, forKey: .snapshotSizeAuto) }
    }
}

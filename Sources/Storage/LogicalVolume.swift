/// One logical volume as LVM reports it.
public struct LogicalVolume: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A plain (linear, striped, raid…) volume: snapshots are copy-on-write and need a size.
        case classic
        /// A thin volume: snapshots share its pool and need no size.
        case thin
        /// A thin pool; not itself a filesystem.
        case thinPool = "thin-pool"
        /// A classic snapshot.
        case snapshot
        /// Anything else LVM reports (cache, vdo, …).
        case other
    }

    public var volumeGroup: String
    public var name: String
    public var uuid: String
    public var kind: Kind
    /// The thin pool of a thin volume.
    public var pool: String?
    /// The origin of a snapshot.
    public var origin: String?
    public var sizeBytes: UInt64
    /// Free space left in the volume group.
    public var volumeGroupFreeBytes: UInt64
    public var volumeGroupExtentBytes: UInt64
    /// Data fill in percent (thin pools, thin volumes and snapshots).
    public var dataPercent: Double?
    /// Metadata fill in percent (thin pools).
    public var metadataPercent: Double?
    /// The kernel device while active.
    public var device: DeviceNumber?
    public var tags: [String]

    public init(
        volumeGroup: String, name: String, uuid: String, kind: Kind, pool: String? = nil,
        origin: String? = nil, sizeBytes: UInt64, volumeGroupFreeBytes: UInt64,
        volumeGroupExtentBytes: UInt64 = 4 << 20, dataPercent: Double? = nil,
        metadataPercent: Double? = nil, device: DeviceNumber? = nil, tags: [String] = []
    ) {
        self.volumeGroup = volumeGroup
        self.name = name
        self.uuid = uuid
        self.kind = kind
        self.pool = pool
        self.origin = origin
        self.sizeBytes = sizeBytes
        self.volumeGroupFreeBytes = volumeGroupFreeBytes
        self.volumeGroupExtentBytes = volumeGroupExtentBytes
        self.dataPercent = dataPercent
        self.metadataPercent = metadataPercent
        self.device = device
        self.tags = tags
    }

    /// `vg/lv`, the form LVM commands take.
    public var path: String { "\(volumeGroup)/\(name)" }
}

public import Storage

/// A cluster directory together with where it physically lives.
public struct LocatedDirectory: Sendable, Equatable, Encodable {
    public var directory: ClusterDirectory
    public var location: PathLocation?
    /// The thin pool behind a thin volume, for its fill.
    public var pool: LogicalVolume?

    public init(directory: ClusterDirectory, location: PathLocation?, pool: LogicalVolume? = nil) {
        self.directory = directory
        self.location = location
        self.pool = pool
    }

    enum CodingKeys: String, CodingKey {
        case role, name, oid, path
        case resolvedPath = "resolved_path"
        case mountPoint = "mount_point"
        case filesystem, device
        case deviceMapper = "device_mapper"
        case lvm
    }

    enum DeviceMapperKeys: String, CodingKey { case name, uuid }

    enum VolumeKeys: String, CodingKey {
        case vg, lv, type, pool
        case lvSizeBytes = "lv_size_bytes"
        case vgFreeBytes = "vg_free_bytes"
        case poolDataPercent = "pool_data_percent"
        case poolMetadataPercent = "pool_metadata_percent"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(directory.role, forKey: .role)
        try container.encode(directory.name, forKey: .name)
        try container.encode(directory.oid, forKey: .oid)
        try container.encode(directory.path, forKey: .path)
        try container.encode(location?.resolvedPath, forKey: .resolvedPath)
        try container.encode(location?.mount?.mountPoint, forKey: .mountPoint)
        try container.encode(location?.mount?.filesystemType, forKey: .filesystem)
        try container.encode(location?.device, forKey: .device)
        if let mapped = location?.deviceMapper {
            var nested = container.nestedContainer(keyedBy: DeviceMapperKeys.self, forKey: .deviceMapper)
            try nested.encode(mapped.name, forKey: .name)
            try nested.encode(mapped.uuid, forKey: .uuid)
        } else {
            try container.encodeNil(forKey: .deviceMapper)
        }
        guard let volume = location?.logicalVolume else {
            try container.encodeNil(forKey: .lvm)
            return
        }
        var nested = container.nestedContainer(keyedBy: VolumeKeys.self, forKey: .lvm)
        try nested.encode(volume.volumeGroup, forKey: .vg)
        try nested.encode(volume.name, forKey: .lv)
        try nested.encode(volume.kind.rawValue, forKey: .type)
        try nested.encode(volume.pool, forKey: .pool)
        try nested.encode(volume.sizeBytes, forKey: .lvSizeBytes)
        try nested.encode(volume.volumeGroupFreeBytes, forKey: .vgFreeBytes)
        try nested.encode(pool?.dataPercent, forKey: .poolDataPercent)
        try nested.encode(pool?.metadataPercent, forKey: .poolMetadataPercent)
    }
}

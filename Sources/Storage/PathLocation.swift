/// Where one directory of the cluster physically lives: mount, filesystem, block device and,
/// when there is one, the device-mapper device and logical volume behind it.
public struct PathLocation: Sendable, Equatable {
    /// The directory as given (a tablespace location, the data directory, pg_wal).
    public var path: String
    /// The same directory with symlinks resolved.
    public var resolvedPath: String
    public var device: DeviceNumber
    public var mount: MountEntry?
    public var deviceMapper: DeviceMapperDevice?
    public var logicalVolume: LogicalVolume?

    public init(
        path: String, resolvedPath: String, device: DeviceNumber, mount: MountEntry? = nil,
        deviceMapper: DeviceMapperDevice? = nil, logicalVolume: LogicalVolume? = nil
    ) {
        self.path = path
        self.resolvedPath = resolvedPath
        self.device = device
        self.mount = mount
        self.deviceMapper = deviceMapper
        self.logicalVolume = logicalVolume
    }
}

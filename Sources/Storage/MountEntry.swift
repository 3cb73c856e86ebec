/// One line of /proc/self/mountinfo: which device is mounted where, with which filesystem.
public struct MountEntry: Sendable, Equatable {
    public var mountID: Int
    public var device: DeviceNumber
    /// The directory inside the filesystem that is mounted (not `/` for bind mounts and btrfs subvolumes).
    public var root: String
    public var mountPoint: String
    public var options: [String]
    public var filesystemType: String
    /// The mount source, usually a device path such as /dev/mapper/vg-lv.
    public var source: String

    public init(
        mountID: Int, device: DeviceNumber, root: String, mountPoint: String, options: [String],
        filesystemType: String, source: String
    ) {
        self.mountID = mountID
        self.device = device
        self.root = root
        self.mountPoint = mountPoint
        self.options = options
        self.filesystemType = filesystemType
        self.source = source
    }

    public var isReadOnly: Bool { options.contains("ro") }
}

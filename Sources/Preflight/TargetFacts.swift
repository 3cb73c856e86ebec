public import Storage

/// The backup target directory as `check` found it.
public struct TargetFacts: Sendable, Equatable, Encodable {
    public var path: String
    public var exists: Bool
    public var writable: Bool
    public var freeBytes: UInt64?
    public var device: DeviceNumber?
    public var mountPoint: String?
    public var filesystem: String?

    public init(
        path: String, exists: Bool, writable: Bool, freeBytes: UInt64? = nil, device: DeviceNumber? = nil,
        mountPoint: String? = nil, filesystem: String? = nil
    ) {
        self.path = path
        self.exists = exists
        self.writable = writable
        self.freeBytes = freeBytes
        self.device = device
        self.mountPoint = mountPoint
        self.filesystem = filesystem
    }

    enum CodingKeys: String, CodingKey {
        case path, exists, writable
        case freeBytes = "free_bytes"
        case device
        case mountPoint = "mount_point"
        case filesystem
    }
}

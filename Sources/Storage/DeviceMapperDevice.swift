/// What device-mapper knows about one of its devices.
public struct DeviceMapperDevice: Sendable, Equatable, Codable {
    /// Name under /dev/mapper, e.g. `vg-lv` (hyphens inside VG/LV names are doubled).
    public var name: String
    /// `LVM-<vg uuid><lv uuid>` for LVM volumes, possibly with a suffix such as `-cow`.
    public var uuid: String
    public var device: DeviceNumber

    public init(name: String, uuid: String, device: DeviceNumber) {
        self.name = name
        self.uuid = uuid
        self.device = device
    }

    /// Whether LVM owns this device.
    public var isLVM: Bool { uuid.hasPrefix("LVM-") }
}

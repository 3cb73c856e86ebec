/// The device-mapper boundary: what pgsnap asks of the kernel's mapping layer.
public protocol DeviceMapper: AnyObject {
    /// The device-mapper device with this number, or nil if it is not one.
    func device(_ number: DeviceNumber) throws(StorageError) -> DeviceMapperDevice?
    /// Current fill of the classic snapshot device `name` (its /dev/mapper name).
    func snapshotStatus(name: String) throws(StorageError) -> SnapshotStatus
    /// Current fill of the thin pool whose data device is `name` (`vg-pool-tpool`).
    func thinPoolStatus(name: String) throws(StorageError) -> ThinPoolStatus
}

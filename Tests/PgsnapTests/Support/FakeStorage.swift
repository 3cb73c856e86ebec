import Storage

/// Device-mapper with a fixed table of devices.
final class FakeDeviceMapper: DeviceMapper {
    var devices: [DeviceNumber: DeviceMapperDevice]

    init(_ devices: [DeviceMapperDevice]) {
        self.devices = Dictionary(uniqueKeysWithValues: devices.map { ($0.device, $0) })
    }

    func device(_ number: DeviceNumber) throws(StorageError) -> DeviceMapperDevice? { devices[number] }

    func snapshotStatus(name: String) throws(StorageError) -> SnapshotStatus {
        throw StorageError(code: .deviceMapperFailed, detail: "no status in this fake")
    }

    func thinPoolStatus(name: String) throws(StorageError) -> ThinPoolStatus {
        throw StorageError(code: .deviceMapperFailed, detail: "no status in this fake")
    }
}

/// LVM with a fixed list of volumes, or a scripted failure.
final class FakeLVM: LVM {
    var volumes: [LogicalVolume]
    var failure: StorageError?

    init(_ volumes: [LogicalVolume], failure: StorageError? = nil) {
        self.volumes = volumes
        self.failure = failure
    }

    func logicalVolumes() throws(StorageError) -> [LogicalVolume] {
        if let failure { throw failure }
        return volumes
    }
}

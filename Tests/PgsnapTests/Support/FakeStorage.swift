import Foundation
import Storage

/// Device-mapper with a fixed table of devices.
final class FakeDeviceMapper: DeviceMapper {
    var devices: [DeviceNumber: DeviceMapperDevice]
    /// What every snapshot reports (the snapshot watcher reads it); none: reading fails.
    let snapshotStatus: SnapshotStatus?

    init(_ devices: [DeviceMapperDevice], snapshotStatus: SnapshotStatus? = nil) {
        self.devices = Dictionary(uniqueKeysWithValues: devices.map { ($0.device, $0) })
        self.snapshotStatus = snapshotStatus
    }

    func device(_ number: DeviceNumber) throws(StorageError) -> DeviceMapperDevice? { devices[number] }

    func snapshotStatus(name: String) throws(StorageError) -> SnapshotStatus {
        guard let snapshotStatus else {
            throw StorageError(code: .deviceMapperFailed, detail: "no status in this fake")
        }
        return snapshotStatus
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

/// LVM that creates and removes snapshots in its own list, noting each change in `journal`
/// (`lvcreate vg/name`, `lvremove vg/name`); `failing` names the operation that fails.
final class ScriptedLVM: LVMSnapshots {
    private(set) var volumes: [LogicalVolume]
    let journal: (String) -> Void
    var failing: Set<String> = []
    /// One per call, as each of LibLVM2's calls is at least one LVM command.
    private(set) var commandsRun = 0

    init(_ volumes: [LogicalVolume], journal: @escaping (String) -> Void) {
        self.volumes = volumes
        self.journal = journal
    }

    func logicalVolumes() throws(StorageError) -> [LogicalVolume] {
        commandsRun += 1
        if failing.contains("lvs") {
            throw StorageError(code: .lvmFailed, detail: "LVM could not list logical volumes")
        }
        return volumes
    }

    func createSnapshot(of origin: LogicalVolume, name: String, sizeBytes: UInt64?, tags: [String]) throws(StorageError)
    {
        commandsRun += 1
        journal("lvcreate \(origin.volumeGroup)/\(name)")
        if failing.contains("lvcreate") { throw StorageError(code: .lvmFailed, detail: "lvcreate failed in this fake") }
        var snapshot = origin
        snapshot.name = name
        snapshot.origin = origin.name
        snapshot.tags = tags
        snapshot.uuid = "snapshot-" + name
        volumes.append(snapshot)
    }

    func extendVolume(volumeGroup: String, name: String, byBytes: UInt64) throws(StorageError) {
        commandsRun += 1
        journal("lvextend \(volumeGroup)/\(name) +\(byBytes)")
        if failing.contains("lvextend") { throw StorageError(code: .lvmFailed, detail: "lvextend failed in this fake") }
        for index in volumes.indices where volumes[index].volumeGroup == volumeGroup && volumes[index].name == name {
            volumes[index].sizeBytes += byBytes
        }
    }

    func removeVolume(volumeGroup: String, name: String) throws(StorageError) {
        commandsRun += 1
        journal("lvremove \(volumeGroup)/\(name)")
        volumes.removeAll { $0.volumeGroup == volumeGroup && $0.name == name }
    }

    func addVolume(_ volume: LogicalVolume) {
        volumes.append(volume)
    }

    /// The snapshots still there.
    var snapshots: [LogicalVolume] { volumes.filter { $0.origin != nil } }
}

/// mount(2) without root: "mounting" a snapshot copies the origin's files below the mount
/// point (where a real snapshot would show them), unmounting empties it again.
final class FakeMounter: Mounter {
    /// The origin's mount point and the directories of it a snapshot shows.
    let originMountPoint: String
    let shownDirectories: [String]
    let journal: (String) -> Void
    var failing = false
    private(set) var mounted: [String] = []

    init(originMountPoint: String, showing directories: [String], journal: @escaping (String) -> Void) {
        self.originMountPoint = originMountPoint
        shownDirectories = directories
        self.journal = journal
    }

    func mount(device: String, at directory: String, filesystemType: String, options: String) throws(StorageError) {
        journal("mount \(device)")
        if failing { throw StorageError(code: .mountFailed, detail: "mount failed in this fake") }
        do {
            for shown in shownDirectories {
                let copy = directory + shown.dropFirst(originMountPoint.count)
                try FileManager.default.createDirectory(
                    atPath: (copy as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: shown, toPath: copy)
            }
        } catch {
            throw StorageError(code: .mountFailed, detail: "cannot copy the origin: \(error)")
        }
        mounted.append(directory)
    }

    func unmount(_ directory: String) throws(StorageError) {
        journal("umount")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        mounted.removeAll { $0 == directory }
    }
}

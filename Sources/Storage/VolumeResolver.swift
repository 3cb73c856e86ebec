import Foundation
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Maps directories to the mounts, device-mapper devices and logical volumes behind them.
///
/// The join key is the `major:minor` that stat(2) reports for the directory: it names the mounted
/// block device in mountinfo, the device-mapper device, and the LV's kernel device in `lvs`.
public final class VolumeResolver {
    private let mounts: MountTable
    private let deviceMapper: (any DeviceMapper)?
    private let volumes: [LogicalVolume]

    /// `deviceMapper` and `lvm` are nil where the kernel has no device-mapper; paths then resolve
    /// to their mounts only.
    public init(mounts: MountTable, deviceMapper: (any DeviceMapper)?, lvm: (any LVM)?) throws(StorageError) {
        self.mounts = mounts
        self.deviceMapper = deviceMapper
        self.volumes = try lvm?.logicalVolumes() ?? []
    }

    /// Every logical volume LVM reported.
    public var logicalVolumes: [LogicalVolume] { volumes }

    /// Locates `path`.
    public func locate(_ path: String) throws(StorageError) -> PathLocation {
        let (resolved, device) = try Self.identify(path)
        var location = PathLocation(
            path: path, resolvedPath: resolved, device: device,
            mount: mounts.mount(containing: resolved, device: device))
        guard let deviceMapper, let mapped = try deviceMapper.device(device) else { return location }
        location.deviceMapper = mapped
        location.logicalVolume = volumes.first { $0.device == device }
        return location
    }

    /// The thin pool volume named by a thin volume.
    public func pool(of volume: LogicalVolume) -> LogicalVolume? {
        guard let pool = volume.pool else { return nil }
        return volumes.first { $0.volumeGroup == volume.volumeGroup && $0.name == pool }
    }

    /// realpath(3) and stat(2) of `path`, with errors that name it.
    public static func identify(_ path: String) throws(StorageError) -> (resolved: String, device: DeviceNumber) {
        guard let resolvedPointer = realpath(path, nil) else {
            throw StorageError(
                code: .pathUnavailable, detail: "cannot resolve \(path)",
                underlying: Errno.current.description)
        }
        let resolved = String(cString: resolvedPointer)
        free(resolvedPointer)
        var info = stat()
        guard stat(resolved, &info) == 0 else {
            throw StorageError(
                code: .pathUnavailable, detail: "cannot stat \(resolved)",
                underlying: Errno.current.description)
        }
        return (resolved, DeviceNumber(UInt64(info.st_dev)))
    }
}

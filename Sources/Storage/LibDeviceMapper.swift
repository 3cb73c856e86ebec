internal import CDeviceMapper
internal import CDeviceMapperShims
import Foundation

private let deviceMapperLog = LibraryLog()
private let deviceMapperLock = NSLock()

/// libdevmapper behind the `DeviceMapper` protocol. Owns libdevmapper's process-wide state:
/// the log callback and the control-device handle, released in `deinit`.
public final class LibDeviceMapper: DeviceMapper, @unchecked Sendable {
    nonisolated(unsafe) private static var sharedInstance: LibDeviceMapper?

    /// The process's one owner of libdevmapper's global state (its log callback, the control
    /// device), shared with liblvm2cmd, which uses the same library.
    public static func shared(kernel: KernelDevices = .current()) throws(StorageError) -> LibDeviceMapper {
        deviceMapperLock.lock()
        defer { deviceMapperLock.unlock() }
        if let sharedInstance { return sharedInstance }
        let instance = try LibDeviceMapper(kernel: kernel)
        sharedInstance = instance
        return instance
    }

    /// Refuses to start on a kernel without device-mapper, before libdevmapper can create
    /// /dev/mapper/control.
    init(kernel: KernelDevices = .current()) throws(StorageError) {
        guard kernel.deviceMapperMajor != nil else {
            throw StorageError(code: .noDeviceMapper, detail: "this kernel has no device-mapper (not in /proc/devices)")
        }
        pgsnap_dm_set_log_sink { level, _, message in
            if let message { deviceMapperLog.append(level: level, String(cString: message)) }
        }
    }

    deinit {
        dm_lib_release()
        pgsnap_dm_set_log_sink(nil)
    }

    public func device(_ number: DeviceNumber) throws(StorageError) -> DeviceMapperDevice? {
        try withTask(Int32(DM_DEVICE_INFO), what: "look up device \(number)") { task in
            guard dm_task_set_major_minor(task, Int32(number.major), Int32(number.minor), 0) != 0 else { return false }
            return true
        } result: { task -> DeviceMapperDevice? in
            var info = dm_info()
            guard dm_task_get_info(task, &info) != 0, info.exists != 0 else { return nil }
            let name = dm_task_get_name(task).map { String(cString: $0) } ?? ""
            let uuid = dm_task_get_uuid(task).map { String(cString: $0) } ?? ""
            return DeviceMapperDevice(name: name, uuid: uuid, device: number)
        }
    }

    public func snapshotStatus(name: String) throws(StorageError) -> SnapshotStatus {
        let parsed = try withTask(Int32(DM_DEVICE_STATUS), what: "read the status of \(name)") { task in
            dm_task_set_name(task, name) != 0
        } result: { task -> SnapshotStatus? in
            var start: UInt64 = 0
            var length: UInt64 = 0
            var type: UnsafeMutablePointer<CChar>?
            var params: UnsafeMutablePointer<CChar>?
            _ = dm_get_next_target(task, nil, &start, &length, &type, &params)
            guard let type, String(cString: type) == "snapshot", let params else { return nil }
            return Self.parseSnapshotStatus(params)
        }
        guard let parsed else {
            throw StorageError(code: .deviceMapperFailed, detail: "\(name) is not a snapshot device")
        }
        return parsed
    }

    public func thinPoolStatus(name: String) throws(StorageError) -> ThinPoolStatus {
        let parsed = try withTask(Int32(DM_DEVICE_STATUS), what: "read the status of \(name)") { task in
            dm_task_set_name(task, name) != 0
        } result: { task -> ThinPoolStatus? in
            var start: UInt64 = 0
            var length: UInt64 = 0
            var type: UnsafeMutablePointer<CChar>?
            var params: UnsafeMutablePointer<CChar>?
            _ = dm_get_next_target(task, nil, &start, &length, &type, &params)
            guard let type, String(cString: type) == "thin-pool", let params,
                let pool = dm_pool_create("pgsnap-status", 512)
            else { return nil }
            defer { dm_pool_destroy(pool) }
            var status: UnsafeMutablePointer<dm_status_thin_pool>?
            guard dm_get_status_thin_pool(pool, params, &status) != 0, let value = status?.pointee else { return nil }
            return ThinPoolStatus(
                usedDataBlocks: value.used_data_blocks, totalDataBlocks: value.total_data_blocks,
                usedMetadataBlocks: value.used_metadata_blocks, totalMetadataBlocks: value.total_metadata_blocks,
                failing: value.fail != 0 || value.out_of_data_space != 0 || value.read_only != 0 || value.error != 0)
        }
        guard let parsed else {
            throw StorageError(code: .deviceMapperFailed, detail: "\(name) is not a thin pool")
        }
        return parsed
    }

    private static func parseSnapshotStatus(_ params: UnsafeMutablePointer<CChar>) -> SnapshotStatus? {
        guard let pool = dm_pool_create("pgsnap-status", 512) else { return nil }
        defer { dm_pool_destroy(pool) }
        var status: UnsafeMutablePointer<dm_status_snapshot>?
        guard dm_get_status_snapshot(pool, params, &status) != 0, let status else { return nil }
        let value = status.pointee
        return SnapshotStatus(
            usedSectors: value.used_sectors, totalSectors: value.total_sectors,
            metadataSectors: value.metadata_sectors, invalid: value.invalid != 0, overflow: value.overflow != 0,
            mergeFailed: value.merge_failed != 0)
    }

    /// Creates a task, lets `prepare` configure it, runs it and hands it to `result`; destroys it
    /// on every path. Failures carry libdevmapper's error lines.
    private func withTask<T>(
        _ type: Int32, what: String, prepare: (OpaquePointer) -> Bool, result: (OpaquePointer) -> T
    ) throws(StorageError) -> T {
        deviceMapperLock.lock()
        defer { deviceMapperLock.unlock() }
        _ = deviceMapperLog.drain()
        guard let task = dm_task_create(type) else {
            throw failure(what)
        }
        defer { dm_task_destroy(task) }
        guard prepare(task), dm_task_run(task) != 0 else { throw failure(what) }
        return result(task)
    }

    private func failure(_ what: String) -> StorageError {
        let errors = deviceMapperLog.drain().filter { $0.level <= 3 }.map(\.text)
        return StorageError(
            code: .deviceMapperFailed, detail: "device-mapper could not \(what)",
            underlying: errors.joined(separator: "; "))
    }
}

import ExitStatus
public import Foundation
public import Storage
import TargetLayout

/// `estimate --probe`: a real, temporary classic snapshot of each classic origin, watched
/// through device-mapper for the sample window. Its copy-on-write store grows by exactly the
/// unique chunks the origin changes, which is what a backup's snapshot will pay — the method
/// the classic LVM advice recommends, done for the admin.
///
/// A probe is named and tagged like a backup's snapshot (`<origin>_pgsnap_<id>`, tag
/// `pgsnap`), so if pgsnap dies before `remove`, `pgsnap cleanup` and the next backup remove it.
public final class SizingProbe {
    /// The tag `Leftovers` removes (Sources/Backup/Leftovers.swift); a test pins that a probe
    /// is recognised as a leftover.
    public static let tag = "pgsnap"

    public struct Snapshot: Sendable {
        public var origin: LogicalVolume
        public var name: String
        public var sizeBytes: UInt64
        var deviceMapperName: String { LVMName.deviceMapperName(volumeGroup: origin.volumeGroup, logicalVolume: name) }
    }

    private let lvm: any LVMSnapshots
    private let deviceMapper: any DeviceMapper
    private let log: (String) -> Void
    public private(set) var snapshots: [Snapshot] = []
    private var usedAtStart: [String: UInt64] = [:]

    public init(lvm: any LVMSnapshots, deviceMapper: any DeviceMapper, log: @escaping (String) -> Void) {
        self.lvm = lvm
        self.deviceMapper = deviceMapper
        self.log = log
    }

    /// The name of a probe of `origin` made at `date`.
    public static func name(origin: String, at date: Date) -> String {
        "\(origin)_pgsnap_\(BackupID.make(at: date))"
    }

    /// The probe's size: a measuring device, so as large as it may be rather than the configured
    /// size (a too-small one overflows and only gives a lower bound): the origin's size, but
    /// never more than half of what the VG has free, in whole extents; nil when that is not one
    /// extent. `planned` is the least it gets when the VG allows.
    public static func size(planned: UInt64?, origin: LogicalVolume) -> UInt64? {
        let extent = max(origin.volumeGroupExtentBytes, 1)
        let wanted = min(max(origin.sizeBytes, planned ?? 0), origin.volumeGroupFreeBytes / 2)
        let size = wanted / extent * extent
        return size >= extent ? size : nil
    }

    /// Creates the probe of `origin` and takes its first reading.
    public func create(of origin: LogicalVolume, sizeBytes: UInt64, at date: Date) throws(StorageError) {
        let probe = Snapshot(origin: origin, name: Self.name(origin: origin.name, at: date), sizeBytes: sizeBytes)
        try lvm.createSnapshot(of: origin, name: probe.name, sizeBytes: sizeBytes, tags: [Self.tag])
        snapshots.append(probe)
        log("probe snapshot \(origin.volumeGroup)/\(probe.name) of \(origin.path) created (\(ByteCount(sizeBytes)))")
        let status = try deviceMapper.snapshotStatus(name: probe.deviceMapperName)
        usedAtStart[probe.name] = (status.usedSectors + status.metadataSectors) * 512
    }

    /// Restarts every probe's count from now: the window starts once all of them exist.
    public func startWindow() throws(StorageError) {
        for probe in snapshots {
            let status = try deviceMapper.snapshotStatus(name: probe.deviceMapperName)
            usedAtStart[probe.name] = (status.usedSectors + status.metadataSectors) * 512
        }
    }

    /// Each probe's growth since `startWindow`, by origin path. A probe that overflowed counts
    /// as full: the rate is at least that, and the message says so.
    public func growth() throws(StorageError) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for probe in snapshots {
            let status = try deviceMapper.snapshotStatus(name: probe.deviceMapperName)
            let used = (status.usedSectors + status.metadataSectors) * 512
            let start = usedAtStart[probe.name] ?? 0
            if status.invalid || status.overflow {
                log("probe snapshot of \(probe.origin.path) overflowed during the sample: its rate is a lower bound")
                result[probe.origin.path] = probe.sizeBytes > start ? probe.sizeBytes - start : 0
            } else {
                result[probe.origin.path] = used > start ? used - start : 0
            }
        }
        return result
    }

    /// Removes every probe; the first failure is thrown after trying them all.
    public func remove() throws(StorageError) {
        var firstFailure: StorageError?
        for probe in snapshots.reversed() {
            do {
                try lvm.removeVolume(volumeGroup: probe.origin.volumeGroup, name: probe.name)
                log("probe snapshot \(probe.origin.volumeGroup)/\(probe.name) removed")
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        snapshots = []
        if let firstFailure { throw firstFailure }
    }
}

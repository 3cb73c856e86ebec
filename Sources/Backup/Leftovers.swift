import Foundation
import Catalog
import Storage

/// Recognises and removes what a crashed or SIGKILLed earlier run left behind: mounts under
/// pgsnap's own mount root and LVs carrying pgsnap's tag. Nothing else is ever touched.
enum Leftovers {
    /// The tag on every snapshot pgsnap creates.
    static let tag = "pgsnap"

    /// Unmounts every mount below `mountRoot`, deepest first, and removes the empty directories.
    /// Returns the mount points it unmounted.
    @discardableResult
    static func unmount(under mountRoot: String, mounter: any Mounter, log: (String) -> Void) throws(StorageError)
        -> [String]
    {
        let table = try MountTable.current()
        let stale = table.entries.map(\.mountPoint).filter { $0.hasPrefix(mountRoot + "/") }
        var unmounted: [String] = []
        for directory in stale.sorted(by: { $0.count > $1.count }) {
            log("unmounting leftover \(directory)")
            try mounter.unmount(directory)
            unmounted.append(directory)
        }
        removeEmptyDirectories(under: mountRoot)
        return unmounted
    }

    /// Removes every snapshot LV tagged `pgsnap`, or named `<origin>_pgsnap_<id>` (the name is
    /// given at creation, the tag just after it, so a SIGKILL in between leaves the name only).
    /// Returns the paths of the snapshots it removed.
    @discardableResult
    static func removeSnapshots(lvm: any LVMSnapshots, log: (String) -> Void) throws(StorageError) -> [String] {
        var removed: [String] = []
        for volume in try lvm.logicalVolumes() where isPgsnapSnapshot(volume) {
            log("removing leftover snapshot \(volume.path)")
            try lvm.removeVolume(volumeGroup: volume.volumeGroup, name: volume.name)
            removed.append(volume.path)
        }
        return removed
    }

    static func isPgsnapSnapshot(_ volume: LogicalVolume) -> Bool {
        if volume.tags.contains(tag) { return true }
        guard volume.origin != nil, let range = volume.name.range(of: "_pgsnap_", options: .backwards) else { return false }
        return BackupID.isValid(String(volume.name[range.upperBound...]))
    }

    /// Removes `<id>.partial` directories a killed run left in the target: never a complete backup.
    /// Returns the directories it removed.
    @discardableResult
    static func removePartialBackups(in target: String, log: (String) -> Void) -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? [] {
            guard name.hasSuffix(".partial"), BackupID.isValid(String(name.dropLast(".partial".count))) else { continue }
            log("removing leftover partial backup \(target)/\(name)")
            if (try? FileManager.default.removeItem(atPath: target + "/" + name)) != nil {
                removed.append(target + "/" + name)
            }
        }
        return removed
    }

    static func removeEmptyDirectories(under root: String) {
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for child in children {
            let path = root + "/" + child
            removeEmptyDirectories(under: path)
            rmdir(path)
        }
    }
}

/// The mount boundary: pgsnap mounts snapshots read-only and unmounts them at teardown.
public protocol Mounter: AnyObject {
    func mount(device: String, at directory: String, filesystemType: String, options: String) throws(StorageError)
    func unmount(_ directory: String) throws(StorageError)
}

extension Mounter {
    /// Read-only mount options that never write to a snapshot of a live, dirty filesystem:
    /// ext4 must not replay its journal (`noload`), xfs must skip log recovery and accept the
    /// origin's duplicate UUID (`nouuid,norecovery`).
    public static func snapshotOptions(filesystemType: String) -> String {
        switch filesystemType {
        case "ext4", "ext3": return "noload"
        case "xfs": return "nouuid,norecovery"
        default: return ""
        }
    }
}

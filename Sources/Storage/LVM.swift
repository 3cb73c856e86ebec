/// The LVM boundary: reading the volume layout (and, for backups, making snapshots).
public protocol LVM: AnyObject {
    /// Every logical volume of every volume group, with its group's free space.
    func logicalVolumes() throws(StorageError) -> [LogicalVolume]
}

/// Changes pgsnap makes to LVM during a backup.
public protocol LVMSnapshots: LVM {
    /// Creates a snapshot of `origin` named `name` with `tags`; `sizeBytes` nil makes a thin
    /// snapshot (origin must be thin), which is activated despite LVM's activation-skip default.
    func createSnapshot(of origin: LogicalVolume, name: String, sizeBytes: UInt64?, tags: [String]) throws(StorageError)
    /// Removes `volumeGroup/name`.
    func removeVolume(volumeGroup: String, name: String) throws(StorageError)
}

/// The LVM boundary: reading the volume layout (and, for backups, making snapshots).
public protocol LVM: AnyObject {
    /// Every logical volume of every volume group, with its group's free space.
    func logicalVolumes() throws(StorageError) -> [LogicalVolume]
}

/// Changes pgsnap makes to LVM during a backup.
public protocol LVMSnapshots: LVM {
    /// Creates a snapshot of `origin` named `name` with `tags` in exactly one LVM command (it runs
    /// inside backup mode); `sizeBytes` nil makes a thin snapshot (origin must be thin), created
    /// active despite LVM's activation-skip default.
    func createSnapshot(of origin: LogicalVolume, name: String, sizeBytes: UInt64?, tags: [String]) throws(StorageError)
    /// LVM commands run so far through this handle: the backup records those inside backup mode.
    var commandsRun: Int { get }
    /// Grows `volumeGroup/name` by `byBytes` (rounded up to MiB, then by LVM to extents): pgsnap's
    /// own autoextend of a filling snapshot.
    func extendVolume(volumeGroup: String, name: String, byBytes: UInt64) throws(StorageError)
    /// Removes `volumeGroup/name`.
    func removeVolume(volumeGroup: String, name: String) throws(StorageError)
}

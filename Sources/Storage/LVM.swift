/// The LVM boundary: reading the volume layout (and, for backups, making snapshots).
public protocol LVM: AnyObject {
    /// Every logical volume of every volume group, with its group's free space.
    func logicalVolumes() throws(StorageError) -> [LogicalVolume]
}

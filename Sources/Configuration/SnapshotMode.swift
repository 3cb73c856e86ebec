/// How pgsnap gets a stable image of the cluster's files.
public enum SnapshotMode: String, Sendable, CaseIterable {
    /// One LVM snapshot per logical volume; backup mode lasts only while snapshots are made.
    case lvm
    /// No snapshots: the live files are copied while PostgreSQL stays in backup mode.
    case none
}

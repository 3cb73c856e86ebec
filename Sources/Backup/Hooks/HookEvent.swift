/// The moments at which pgsnap runs a hook, named as the executables in `hook_directory` are.
///
/// Every `post-*` event is paired with a `pre-*` one and runs whenever its `pre-*` event's turn
/// came, whatever happened in between: a storage system frozen in `pre-snapshot` is always
/// thawed in `post-snapshot`, and a target mounted in `pre-backup` is always released in
/// `post-backup`.
public enum HookEvent: String, Sendable, CaseIterable {
    /// After the run lock is taken, before anything touches PostgreSQL, the target or LVM.
    case preBackup = "pre-backup"
    /// PostgreSQL is in backup mode; the snapshots are created right after: the freeze point.
    case preSnapshot = "pre-snapshot"
    /// Right after the snapshots exist, or their creation (or `pre-snapshot`) failed: the thaw point.
    case postSnapshot = "post-snapshot"
    /// At the very end, after teardown, with the outcome; still under the run lock.
    case postBackup = "post-backup"

    /// A `pre-*` hook can refuse the run; a `post-*` hook can only warn.
    public var isPre: Bool { rawValue.hasPrefix("pre-") }
}

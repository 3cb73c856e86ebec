/// What `pgsnap cleanup` (and the leftover stage of every backup) removed: the JSON a script
/// reads from `cleanup --json`, and the text line a person reads.
public struct CleanupReport: Encodable, Sendable, Equatable {
    public var ok = true
    /// Mount points under the run directory, unmounted deepest first.
    public var unmounted: [String] = []
    /// Snapshot LVs tagged or named as pgsnap's, removed.
    public var snapshots: [String] = []
    /// `<id>.partial` directories removed from the target.
    public var partialBackups: [String] = []

    public init() {}

    /// `pgsnap: cleanup: nothing left behind` or what it removed, counted.
    public var summary: String {
        let total = unmounted.count + snapshots.count + partialBackups.count
        guard total > 0 else { return "pgsnap: cleanup: nothing left behind" }
        return "pgsnap: cleanup: removed \(unmounted.count) mount(s), \(snapshots.count) snapshot(s), "
            + "\(partialBackups.count) partial backup(s)"
    }
}

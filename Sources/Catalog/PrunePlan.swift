/// What a prune removes and keeps, decided before anything is touched, so `--dry-run` shows
/// exactly what the real run then does.
public struct PrunePlan: Sendable, Equatable {
    public var removed: [CatalogEntry]
    public var kept: [CatalogEntry]
    /// Half-deleted `<id>.removing` directories of an interrupted prune, finished first.
    public var interruptedRemovals: [String]
    /// Files of the target's WAL archive that no kept backup needs (relative to `<target>/wal`),
    /// nil when the target has no WAL archive.
    public var expiredWAL: [String]?

    public init(
        removed: [CatalogEntry], kept: [CatalogEntry], interruptedRemovals: [String], expiredWAL: [String]? = nil
    ) {
        self.removed = removed
        self.kept = kept
        self.interruptedRemovals = interruptedRemovals
        self.expiredWAL = expiredWAL
    }
}

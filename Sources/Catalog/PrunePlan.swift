/// What a prune removes and keeps, decided before anything is touched, so `--dry-run` shows
/// exactly what the real run then does.
public struct PrunePlan: Sendable, Equatable {
    public var removed: [CatalogEntry]
    public var kept: [CatalogEntry]
    /// Half-deleted `<id>.removing` directories of an interrupted prune, finished first.
    public var interruptedRemovals: [String]

    public init(removed: [CatalogEntry], kept: [CatalogEntry], interruptedRemovals: [String]) {
        self.removed = removed
        self.kept = kept
        self.interruptedRemovals = interruptedRemovals
    }
}

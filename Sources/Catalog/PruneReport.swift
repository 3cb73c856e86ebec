/// `pgsnap prune --json`: `{"dry_run", "removed": [{"id", "status"}], "kept": [...]}`.
public struct PruneReport: Sendable, Equatable, Encodable {
    public struct Item: Sendable, Equatable, Encodable {
        public var id: String
        public var status: CatalogEntry.Status
    }

    public var dryRun: Bool
    public var removed: [Item]
    public var kept: [Item]
    /// The WAL archive's files expired (relative to `<target>/wal`); absent without an archive.
    public var walRemoved: [String]?

    public init(plan: PrunePlan, dryRun: Bool) {
        self.dryRun = dryRun
        removed = plan.removed.map { Item(id: $0.id, status: $0.status) }
        kept = plan.kept.map { Item(id: $0.id, status: $0.status) }
        walRemoved = plan.expiredWAL
    }

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run"
        case removed, kept
        case walRemoved = "wal_removed"
    }
}

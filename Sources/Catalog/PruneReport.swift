/// `pgsnap prune --json`: `{"dry_run", "removed": [{"id", "status"}], "kept": [...]}`.
public struct PruneReport: Sendable, Equatable, Encodable {
    public struct Item: Sendable, Equatable, Encodable {
        public var id: String
        public var status: CatalogEntry.Status
    }

    public var dryRun: Bool
    public var removed: [Item]
    public var kept: [Item]

    public init(plan: PrunePlan, dryRun: Bool) {
        self.dryRun = dryRun
        removed = plan.removed.map { Item(id: $0.id, status: $0.status) }
        kept = plan.kept.map { Item(id: $0.id, status: $0.status) }
    }

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run"
        case removed, kept
    }
}

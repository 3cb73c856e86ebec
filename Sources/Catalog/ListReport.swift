/// `pgsnap list --json`: the target's cluster and every run, newest first.
public struct ListReport: Sendable, Encodable {
    /// The cluster the target belongs to; null when unbound and empty, or mixed.
    public var systemIdentifier: String?
    /// Whether `pgsnap.target` binds the target (false: inferred from the backups, or none).
    public var bound: Bool
    /// Every cluster whose complete backups the target holds (more than one only when foreign
    /// backups are there, or the target is mixed).
    public var systemIdentifiers: [String]
    public var backups: [CatalogEntry]

    public init(_ catalog: BackupCatalog) {
        systemIdentifier = catalog.owner.systemIdentifier
        if case .bound = catalog.owner { bound = true } else { bound = false }
        var identifiers = Set(catalog.entries.compactMap { $0.record?.systemIdentifier })
        if let owner = systemIdentifier { identifiers.insert(owner) }
        systemIdentifiers = identifiers.sorted()
        backups = catalog.entries
    }

    enum CodingKeys: String, CodingKey {
        case systemIdentifier = "system_identifier"
        case bound
        case systemIdentifiers = "system_identifiers"
        case backups
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(systemIdentifier, forKey: .systemIdentifier)
        try container.encode(bound, forKey: .bound)
        try container.encode(systemIdentifiers, forKey: .systemIdentifiers)
        try container.encode(backups, forKey: .backups)
    }
}

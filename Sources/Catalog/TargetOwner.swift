import TargetLayout

/// Which cluster a target's backups belong to, as the catalog reads it.
public enum TargetOwner: Sendable, Equatable {
    /// No `pgsnap.target` and no complete backup that names its cluster: any cluster may bind it.
    case unbound
    /// `pgsnap.target` names the cluster.
    case bound(TargetBinding)
    /// No `pgsnap.target` (a target written before bindings existed), but every complete
    /// backup is of this cluster: the next backup binds the target to it.
    case inferred(systemIdentifier: String)
    /// No `pgsnap.target`, and the complete backups are of several clusters: nothing can pick
    /// "the" cluster's backups until an admin separates them.
    case mixed(systemIdentifiers: [String])

    /// The cluster the target's backups are of, when there is exactly one.
    public var systemIdentifier: String? {
        switch self {
        case .bound(let binding): return binding.systemIdentifier
        case .inferred(let identifier): return identifier
        case .unbound, .mixed: return nil
        }
    }

    /// Whether a backup of cluster `systemIdentifier` belongs in this target.
    public func admits(_ systemIdentifier: String) -> Bool {
        switch self {
        case .unbound: return true
        case .mixed: return false
        case .bound, .inferred: return self.systemIdentifier == systemIdentifier
        }
    }

    /// Reads the binding, else infers the owner from the complete backups' records.
    static func of(binding: TargetBinding?, completeRecords: [CatalogRecord]) -> TargetOwner {
        if let binding { return .bound(binding) }
        // Only well-formed identifiers: a hand-edited record must not smuggle text into messages.
        let identifiers = Set(
            completeRecords.compactMap(\.systemIdentifier).filter(TargetBinding.isValidSystemIdentifier)
        )
        .sorted()
        switch identifiers.count {
        case 0: return .unbound
        case 1: return .inferred(systemIdentifier: identifiers[0])
        default: return .mixed(systemIdentifiers: identifiers)
        }
    }
}

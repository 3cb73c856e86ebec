import Catalog

/// Whether this server's cluster may back up into the target: a target holds one cluster's
/// backups (docs/target.md), so a backup of another one is refused before PostgreSQL is
/// touched, and `check` says so.
enum TargetOwnership {
    static func problems(target: String, cluster: String?) -> [Problem] {
        let owner: TargetOwner
        do {
            owner = try BackupCatalog(target: target, lockPath: nil).owner
        } catch {
            return [Problem(code: "target_unreadable", error)]
        }
        switch owner {
        case .mixed(let identifiers):
            return [
                Problem(
                    code: "target_mixed_clusters",
                    CatalogError.mixedClusters(target: target, systemIdentifiers: identifiers))
            ]
        case .bound, .inferred:
            guard let cluster, let ownerIdentifier = owner.systemIdentifier, !owner.admits(cluster) else { return [] }
            return [
                Problem(
                    code: "target_other_cluster",
                    CatalogError.otherCluster(target: target, owner: ownerIdentifier, cluster: cluster))
            ]
        case .unbound:
            return []
        }
    }
}

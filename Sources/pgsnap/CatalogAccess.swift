import Catalog
import Configuration

/// How the catalog subcommands open the target named by the settings.
enum CatalogAccess {
    /// The catalog of the configured target, telling running runs apart by the run lock;
    /// `holdingLock` when the caller holds that lock itself, so no other run can be in
    /// progress (probing it would see the caller's own lock and call a crashed `.partial` running).
    static func open(_ settings: Settings, holdingLock: Bool = false) throws(CatalogError) -> BackupCatalog {
        guard let target = settings.target else { throw .noTarget }
        return try BackupCatalog(target: target, lockPath: holdingLock ? nil : settings.lockPath)
    }
}

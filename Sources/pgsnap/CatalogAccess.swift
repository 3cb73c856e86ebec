import Catalog
import Configuration

/// How the catalog subcommands open the target named by the settings.
enum CatalogAccess {
    /// The catalog of the configured target, telling running runs apart by the run lock.
    static func open(_ settings: Settings) throws(CatalogError) -> BackupCatalog {
        guard let target = settings.target else { throw .noTarget }
        return try BackupCatalog(target: target, lockPath: settings.lockPath)
    }
}

import ArgumentParser
import Catalog
import ExitStatus

extension PgsnapCommand {
    /// `pgsnap list`: every run in the target, newest first.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the backups in the target, newest first.",
            discussion: """
                Status is complete, failed, partial (a crashed run), running (a run holding the lock) or \
                incomplete (a backup directory without a readable record), damaged (a backup whose backup.json \
                fails its checksum: restore refuses it, verify names it) or foreign (a complete backup of another \
                cluster than the one the target belongs to). Only complete backups can be restored. The first line \
                names the target's cluster (system identifier).
                """)

        @OptionGroup var common: CommonOptions

        func run() throws {
            try Terminal.run(common) { settings in
                let catalog = try CatalogAccess.open(settings)
                if settings.json {
                    Terminal.printJSON(ListReport(catalog))
                } else {
                    print(CatalogText.list(catalog))
                }
            }
        }
    }
}

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
                names the target's cluster (system identifier). The table fits 100 columns (the ID is the start \
                time in UTC, WAL the number of segments, the label cut with …); --wide shows every column in full.
                """)

        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Every column in full (start time, PostgreSQL's full version, WAL range, label).")
        var wide = false

        func run() throws {
            try Terminal.run(common) { settings in
                let catalog = try CatalogAccess.open(settings)
                if settings.json {
                    Terminal.printJSON(ListReport(catalog))
                } else {
                    print(CatalogText.list(catalog, wide: wide))
                }
            }
        }
    }
}

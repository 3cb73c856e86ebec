import ArgumentParser
import Backup
import Catalog
import Configuration
import ExitStatus
import Foundation

extension PgsnapCommand {
    /// `pgsnap prune`: applies the retention rules to the target.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove backups outside the retention rules (keep_last, keep_days).",
            discussion: """
                A complete backup goes only when no rule keeps it; the newest complete backup always stays, \
                running runs always stay; failed, partial and incomplete runs older than the newest complete \
                backup go. Each directory is renamed to <id>.removing before it is deleted, so a half-removed \
                backup never looks complete. Without a rule: exit 3.
                """)

        @Flag(name: .customLong("dry-run"), help: "Show what would be removed; remove nothing.")
        var dryRun = false

        @OptionGroup(title: HelpSection.retention) var retention: RetentionOptions
        @OptionGroup(title: HelpSection.metrics) var metrics: MetricsOptions
        @OptionGroup var common: CommonOptions

        func run() throws {
            // A dry run changes nothing, so it is no prune to report.
            try Terminal.run(common, [retention, metrics], metrics: dryRun ? nil : .prune) { settings in
                let logger = Terminal.logger(settings)
                guard let policy = RetentionPolicy(keepLast: settings.keepLast, keepDays: settings.keepDays) else {
                    throw CatalogError.noRetentionRule
                }
                // The run lock, as for a backup: a prune must never remove the `.partial` of a
                // running backup's neighbour or race the retention that follows a backup.
                let lock = dryRun ? nil : try RunLock.take(settings)
                defer { withExtendedLifetime(lock) {} }
                let catalog = try CatalogAccess.open(settings, holdingLock: lock != nil)
                let plan = try Pruner.plan(catalog, policy: policy, now: Date())
                if !dryRun {
                    try Pruner.apply(plan, target: catalog.target) { logger.info("\($0)") }
                }
                let report = PruneReport(plan: plan, dryRun: dryRun)
                if settings.json {
                    Terminal.printJSON(report)
                } else {
                    print(CatalogText.prune(report))
                }
            }
        }
    }
}

import ArgumentParser
import Backup
import Configuration
import ExitStatus

extension PgsnapCommand {
    /// `pgsnap cleanup`: what a SIGKILLed or crashed run left behind, removed by hand.
    struct Cleanup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove mounts, snapshots and partial backups left by a killed run.",
            discussion: """
                Touches only what pgsnap creates: mounts under <run_directory>/mnt, LVs tagged 'pgsnap', \
                and '<id>.partial' directories in the target. Takes the run lock, so it never races a running backup. \
                Every backup runs the same cleanup first.
                """)

        // Leftover snapshots are looked for only with snapshot = lvm.
        @OptionGroup(title: HelpSection.snapshots) var snapshotMode: SnapshotModeOptions
        @OptionGroup var common: CommonOptions

        func run() throws {
            try Terminal.run(common, [snapshotMode]) { settings in
                let logger = Terminal.logger(settings)
                let run = BackupRun(settings: settings, environment: .live(), pgsnapVersion: PgsnapVersion.current) {
                    logger.warning("\($0)")
                }
                // A killed freeze holder's socket and state file, said in one line.
                if let notice = FreezeClient.removeLeftovers(settings, log: { logger.info("\($0)") }) {
                    logger.warning("\(notice)")
                }
                let report = try run.cleanup()
                if settings.json {
                    Terminal.printJSON(report)
                } else if report.summary != CleanupReport().summary {
                    // Silent when there was nothing to do, as cron wants; a line when it acted.
                    print(report.summary)
                }
            }
        }
    }
}

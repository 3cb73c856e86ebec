import ArgumentParser
import ExitStatus
import Foundation
import PostgresClient
import Preflight

extension PgsnapCommand {
    /// `pgsnap check`: can a backup run here, and if not, why not.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a backup can run: PostgreSQL, the volumes under every tablespace, and the target.",
            discussion: "Exits 0 only when a backup could run now. Changes nothing on the system.")

        // What Preflight and NextBackupChecks read; how the copy would run is not checked.
        @OptionGroup var preflight: PreflightOptions
        @OptionGroup var common: CommonOptions

        func run() throws {
            try Terminal.run(common, [preflight]) { settings in
                let logger = Terminal.logger(settings)
                let session = SessionOptions(serverMessages: ServerMessageLog.sink(logger))
                var preflight = Preflight(settings: settings, environment: .live(session: session))
                preflight.measuresDatabases = true
                var report = preflight.run()
                report.problems += NextBackupChecks.problems(settings: settings, report: report)
                if settings.json {
                    Terminal.printJSON(report)
                } else {
                    print(CheckReportText.render(report))
                }
                if report.exitStatus != .success {
                    throw ExitCode(report.exitStatus.rawValue)
                }
            }
        }
    }
}

import ArgumentParser
import Backup
import ExitStatus
import Foundation
import PostgresClient
import Preflight
import Sizing
import TargetLayout

extension PgsnapCommand {
    /// `pgsnap estimate`: how large each snapshot of the next backup must be, measured.
    struct Estimate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Estimate the snapshot size each volume needs, from history and a measured sample.",
            discussion: """
                For every volume a backup would snapshot: the write rate over the sample (block-layer counters, \
                or with --probe the growth of a real temporary snapshot), the snapshot's expected life (from this \
                cluster's last backups in the target, or a measured read), the projected and recommended size, and \
                a verdict against snapshot_size and the volume group's free space. Never touches backup mode. \
                Exits 0 when the configured sizes are enough, 12 when one is too small, has no room or would push \
                a thin pool past thin_pool_danger_threshold (docs/sizing.md).
                """)

        @OptionGroup var preflight: PreflightOptions
        @OptionGroup var common: CommonOptions

        @Option(help: "Seconds to sample the origins' writes (1-3600).")
        var sample: Double = 30

        @Flag(help: "Also measure with a temporary classic snapshot of each classic origin (always removed).")
        var probe = false

        func validate() throws {
            guard sample.isFinite, (1...3600).contains(sample) else {
                throw ValidationError("--sample must be between 1 and 3600 seconds")
            }
        }

        func run() throws {
            try Terminal.run(common, [preflight]) { settings in
                let logger = Terminal.logger(settings)
                Interruption.install()
                // A probe is a snapshot pgsnap owns: under the run lock, as a backup's, so a
                // backup's leftover cleanup never removes it mid-sample (and vice versa).
                let lock = try probe ? RunLock.take(settings) : nil
                defer { _ = lock }
                let session = SessionOptions(serverMessages: ServerMessageLog.sink(logger))
                let estimate = EstimateRun(
                    settings: settings, environment: .live(session: session), sampleSeconds: sample, probe: probe,
                    stop: .signals, log: { logger.info("\($0)") })
                let report = try estimate.run()
                if settings.json {
                    Terminal.printJSON(report)
                } else {
                    print(SizingReportText.render(report))
                }
                if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
            }
        }
    }
}

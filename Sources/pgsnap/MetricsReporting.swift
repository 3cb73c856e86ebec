import ArgumentParser
import Configuration
import ExitStatus
import Foundation
import Metrics

/// The metrics file after a run of backup, verify or prune: written when `metrics_file` is set,
/// whatever the run's outcome, and never able to change it: a failure to write is one warning.
enum MetricsReporting {
    static func record(_ command: MetricsCommand?, _ settings: Settings, started: Date, exitStatus: Int32) {
        guard let command, let path = settings.metricsFile else { return }
        let run = CommandRun(command: command, startedAt: started, finishedAt: Date(), exitStatus: exitStatus)
        let logger = Terminal.logger(settings)
        do {
            let warnings = try MetricsFile(path: path).record(run, target: settings.target ?? "")
            for warning in warnings { logger.warning("\(warning)") }
        } catch {
            logger.warning("\(error.description)")
        }
    }

    /// The status the process is about to exit with for `error`, as `Terminal.fail` decides it.
    static func exitStatus(of error: any Error) -> Int32 {
        if let exit = error as? ExitCode { return exit.rawValue }
        if let reported = error as? any PgsnapError { return reported.exitStatus.rawValue }
        return ExitStatus.internalError.rawValue
    }
}

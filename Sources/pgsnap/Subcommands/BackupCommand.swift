import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import Logging

extension PgsnapCommand {
    /// `pgsnap backup`: one consistent online backup into the target.
    struct BackupCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Take a consistent online backup from LVM snapshots (or live files with --snapshot none).",
            discussion: """
                Silent on success except for one summary line (or JSON with --json). Teardown of mounts, \
                snapshots and backup mode always runs, also after SIGINT, SIGTERM or SIGHUP.
                """)

        @OptionGroup var options: SettingsOptions

        func run() throws {
            let settings = try options.settingsOrExit()
            Interruption.install()
            let logger = Terminal.logger(settings)
            let environment = BackupEnvironment.live(serverMessages: ServerMessageLog.sink(logger))
            let backup = BackupRun(settings: settings, environment: environment, pgsnapVersion: PgsnapVersion.current) {
                logger.info("\($0)")
            }
            backup.onWarning = { logger.warning("\($0)") }
            backup.onProgress = Terminal.progressSink(settings)
            let record: BackupRecord
            do {
                record = try backup.run()
            } catch let error as any PgsnapError {
                if let signal = Interruption.signal {
                    let recorded = backup.failedRunDirectory.map { " (the failed run is recorded in \($0))" } ?? ""
                    try Terminal.fail(BackupError(code: .interrupted, detail: "interrupted by signal \(signal)\(recorded)"),
                                      json: settings.json)
                }
                try Terminal.fail(error, json: settings.json)
            }
            if backup.onProgress != nil { Terminal.clearProgressLine() }
            if settings.json {
                FileHandle.standardOutput.write((try? record.encoded()) ?? Data())
                print()
            } else {
                print(BackupSummary.line(record))
            }
        }
    }
}

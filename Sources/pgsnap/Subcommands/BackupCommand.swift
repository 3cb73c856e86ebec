import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import Logging
import TargetLayout

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

        // Every setting is a backup's: it reads them all.
        @OptionGroup var preflight: PreflightOptions
        @OptionGroup(title: HelpSection.copy) var copy: CopyOptions
        @OptionGroup(title: HelpSection.compression) var compression: CompressionOptions
        @OptionGroup(title: HelpSection.snapshots) var snapshotWatch: SnapshotWatchOptions
        @OptionGroup(title: HelpSection.wal) var walWait: WALWaitOptions
        @OptionGroup(title: HelpSection.hooks) var hookTimeout: HookTimeoutOptions
        @OptionGroup(title: HelpSection.retention) var retention: RetentionOptions
        @OptionGroup(title: HelpSection.metrics) var metrics: MetricsOptions
        @OptionGroup var common: CommonOptions

        @Flag(
            name: .customLong("dry-run"),
            help:
                "Print what a backup would do (snapshots, mounts, archives, hooks, the expected size and length) and change nothing."
        )
        var dryRun = false

        func run() throws {
            try Terminal.run(
                common, [preflight, copy, compression, snapshotWatch, walWait, hookTimeout, retention, metrics],
                metrics: dryRun ? nil : .backup
            ) {
                settings in
                Interruption.install()
                let logger = Terminal.logger(settings)
                let environment = BackupEnvironment.live(serverMessages: ServerMessageLog.sink(logger))
                let backup = BackupRun(
                    settings: settings, environment: environment, pgsnapVersion: PgsnapVersion.current
                ) {
                    logger.info("\($0)")
                }
                backup.onWarning = { logger.warning("\($0)") }
                backup.onBackupID = { LogRunTag.backupID = $0 }
                if dryRun {
                    let report = try backup.dryRun()
                    if settings.json { Terminal.printJSON(report) } else { print(DryRunText.lines(report)) }
                    return
                }
                backup.onProgress = Terminal.progressSink(settings)
                let record = try Self.run(backup)
                if backup.onProgress != nil { Terminal.clearProgressLine() }
                if settings.json {
                    FileHandle.standardOutput.write((try? record.encoded()) ?? Data())
                    print()
                } else {
                    print(BackupSummary.line(record))
                }
            }
        }

        /// The run, its failure after a signal reported as the interruption it is.
        private static func run(_ backup: BackupRun) throws -> BackupRecord {
            do {
                return try backup.run()
            } catch {
                guard let signal = Interruption.signal else { throw error }
                let recorded = backup.failedRunDirectory.map { " (the failed run is recorded in \($0))" } ?? ""
                throw BackupError(code: .interrupted, detail: "interrupted by signal \(signal)\(recorded)")
            }
        }
    }
}

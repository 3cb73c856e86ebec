import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import TargetLayout

extension PgsnapCommand {
    /// `pgsnap snapshot-exec -- COMMAND`: freeze, the storage system's one snapshot command,
    /// thaw, for systems that run a single command (docs/storage-hooks.md).
    struct SnapshotExec: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snapshot-exec",
            abstract: "Freeze, run a storage snapshot command, thaw.",
            discussion: """
                COMMAND runs once backup mode is active, with PGSNAP_ID, PGSNAP_START_LSN, PGSNAP_PGDATA, \
                PGSNAP_TABLESPACES and PGSNAP_VOLUMES set (space-separated lists). The thaw always follows: on \
                success the external record is committed; if COMMAND fails, backup mode ends, a failed run is \
                recorded, and pgsnap exits with COMMAND's own exit code.
                """)

        @OptionGroup(title: HelpSection.connection) var connection: ConnectionOptions
        @OptionGroup(title: HelpSection.freeze) var options: FreezeOptions
        @OptionGroup var common: CommonOptions

        @Option(
            name: .customLong("snapshot-name"), help: "The storage system's name for its snapshot, kept in the record.")
        var snapshotName: String?

        @Argument(parsing: .postTerminator, help: "The snapshot command and its arguments, after '--'.")
        var command: [String] = []

        func validate() throws {
            if command.isEmpty {
                throw UsageError(message: "give the snapshot command after '--'", command: "snapshot-exec")
            }
            if let snapshotName, !FreezeRequest.isValidSnapshotName(snapshotName) {
                throw UsageError(
                    message:
                        "--snapshot-name must be one printable line of at most \(FreezeRequest.maximumSnapshotName) bytes",
                    command: "snapshot-exec")
            }
        }

        func run() throws {
            try Terminal.run(common, [connection, options]) { settings in
                Interruption.install()
                let logger = Terminal.logger(settings)
                let log: (String) -> Void = { logger.info("\($0)") }
                let frozen = try Freeze.start(settings)
                let deadline = Date().addingTimeInterval(Double(settings.freezeTimeout))
                let ending = SnapshotCommand.run(
                    command, variables: Self.variables(frozen), deadline: deadline, stop: .signals)
                guard ending.exitCode == 0 else {
                    let reason = "the snapshot command \(Echo.value(command[0])) \(ending.description)"
                    let request = FreezeRequest(operation: .abort, reason: reason, exitCode: ending.exitCode)
                    let aborted = try FreezeClient.ask(request, settings: settings, stop: .signals, log: log)
                    let recorded = aborted.directory.map { "; failed run recorded in \($0)" } ?? ""
                    Terminal.printLine(reason + recorded)
                    throw ExitCode(ending.exitCode)
                }
                let thawed = try FreezeClient.ask(
                    FreezeRequest(operation: .thaw, snapshotName: snapshotName), settings: settings, stop: .signals,
                    log: log)
                if settings.json { FreezeOutput.printJSON(thawed) } else { print(Thaw.summary(thawed)) }
            }
        }

        static func variables(_ frozen: FreezeReply) -> [String: String] {
            [
                "PGSNAP_ID": frozen.id ?? "", "PGSNAP_START_LSN": frozen.startLSN ?? "",
                "PGSNAP_PGDATA": frozen.dataDirectory ?? "",
                "PGSNAP_TABLESPACES": (frozen.tablespaces ?? []).joined(separator: " "),
                "PGSNAP_VOLUMES": (frozen.volumes ?? []).joined(separator: " "),
            ]
        }
    }
}

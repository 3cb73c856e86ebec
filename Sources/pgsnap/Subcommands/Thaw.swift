import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import TargetLayout

extension PgsnapCommand {
    /// `pgsnap thaw`: ends the backup mode `pgsnap freeze` holds and commits the `external`
    /// record of the storage snapshot taken meanwhile (docs/storage-hooks.md).
    struct Thaw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the backup mode 'pgsnap freeze' holds and record the storage snapshot.",
            discussion: """
                Exits 0 once the record (backup_label, tablespace_map and the window's WAL) is committed and the \
                session, slot and lock are released; 13 when no freeze is held.
                """)

        @OptionGroup var common: CommonOptions

        @Option(
            name: .customLong("snapshot-name"), help: "The storage system's name for its snapshot, kept in the record.")
        var snapshotName: String?

        func validate() throws {
            if let snapshotName, !FreezeRequest.isValidSnapshotName(snapshotName) {
                throw UsageError(
                    message:
                        "--snapshot-name must be one printable line of at most \(FreezeRequest.maximumSnapshotName) bytes",
                    command: "thaw")
            }
        }

        func run() throws {
            try Terminal.run(common) { settings in
                Interruption.install()
                let logger = Terminal.logger(settings)
                let reply = try FreezeClient.ask(
                    FreezeRequest(operation: .thaw, snapshotName: snapshotName), settings: settings, stop: .signals,
                    log: { logger.info("\($0)") })
                if settings.json { FreezeOutput.printJSON(reply) } else { print(Self.summary(reply)) }
            }
        }

        /// `thawed: backup <id> recorded in <dir>, backup mode <s> s, <start>–<stop>`.
        static func summary(_ reply: FreezeReply) -> String {
            let window = String(format: "%.1f", reply.windowSeconds ?? 0)
            return
                "thawed: backup \(reply.id ?? "?") recorded in \(reply.directory ?? "?"), backup mode \(window) s, \(reply.startLSN ?? "?")–\(reply.stopLSN ?? "?")"
        }
    }
}

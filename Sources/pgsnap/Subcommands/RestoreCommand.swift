import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import PostgresClient
import PostgresFormat
import Preflight
import Restore
import TargetLayout
import WALArchive

extension PgsnapCommand {
    /// `pgsnap restore`: one backup back into a data directory, ready to start.
    struct RestoreCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore a backup into a data directory (and its tablespaces), ready to start.",
            discussion: """
                Every file is checked against backup_manifest while it is extracted. global/pg_control, the \
                recovery settings and backup_label are written last, and a restore that fails removes what it \
                wrote, so a directory that looks like a cluster is always a complete one. Without recovery \
                options the server replays the backup's own WAL and starts; with --restore-command or a target it \
                does archive recovery (recovery.signal), with --standby it follows a primary (standby.signal).
                """)

        @Argument(help: "Backup ID (see 'pgsnap list'), or 'latest'.")
        var id: String

        @Option(
            name: .long, help: "Data directory to restore into (created if missing; must be empty unless --overwrite).")
        var pgdata: String

        @Option(
            name: .customLong("tablespace"),
            help: ArgumentHelp(
                "Restore a tablespace elsewhere: OID=DIR or NAME=DIR (repeatable).", valueName: "OID|NAME=DIR"))
        var tablespaces: [String] = []

        @Option(name: .long, help: "Put WAL in this directory and make pg_wal a symlink to it (as initdb --waldir).")
        var waldir: String?

        @Flag(name: .long, help: "Replace the contents of non-empty destination directories.")
        var overwrite = false

        @Flag(
            name: .customLong("in-place"),
            help:
                "For an external record (pgsnap thaw): make the mounted clone of the storage snapshot in --pgdata startable."
        )
        var inPlace = false

        @Option(
            name: .long,
            help: "OS user (name or uid) to own the restored files (default: the original data directory's owner).")
        var owner: String?

        @Flag(name: .long, help: "Start as a standby (standby.signal) instead of recovering and promoting.")
        var standby = false

        @Option(
            name: .customLong("restore-command"),
            help:
                "restore_command for archive recovery, e.g. 'cp /archive/%f %p' (default, when the target has a WAL archive: pgsnap archive-get)."
        )
        var restoreCommand: String?

        @Option(
            name: .customLong("primary-conninfo"),
            help:
                "With --standby: stream from this primary (primary_conninfo), falling back to the archive. No password: use the standby user's ~/.pgpass."
        )
        var primaryConninfo: String?

        @Option(name: .customLong("primary-slot"), help: "With --primary-conninfo: the primary's replication slot.")
        var primarySlot: String?

        @Flag(
            name: .customLong("no-archive"),
            help: "Write no restore_command even though the target has a WAL archive: replay only the backup's own WAL."
        )
        var noArchive = false

        @Option(
            name: .customLong("target-time"),
            help:
                "Recover up to this time (recovery_target_time): ISO 8601 with a time zone, e.g. '2026-11-24 03:15:00+00'. With 'latest', the newest backup that ended before it is restored."
        )
        var targetTime: String?

        @Option(
            name: .customLong("target-name"), help: "Recover up to this named restore point (recovery_target_name).")
        var targetName: String?

        @Option(
            name: .customLong("target-lsn"),
            help:
                "Recover up to this LSN (recovery_target_lsn). With 'latest', the newest backup that stopped before it is restored."
        )
        var targetLSN: String?

        @Option(
            name: .customLong("target-action"),
            help: "At the target: pause, promote or shutdown (recovery_target_action).")
        var targetAction: String?

        @Option(
            name: .customLong("archive-mode"),
            help: ArgumentHelp(
                "off writes archive_mode = 'off' into the restored postgresql.auto.conf; preserve keeps the original's setting (default: off when the original cluster runs on this host and this is another location, else preserve).",
                valueName: "off|preserve"))
        var archiveMode: String?

        @OptionGroup var common: CommonOptions

        /// Everything the command line alone decides, checked before the target is read:
        /// malformed or contradictory options are a usage error (64) in one `pgsnap:` line.
        func validate() throws {
            do {
                if noArchive && restoreCommand != nil {
                    throw RestoreError(code: .invalidOption, detail: "give either --restore-command or --no-archive")
                }
                // The target, and so whether it has a WAL archive, is known only in run().
                _ = try recovery(archive: noArchive ? nil : "pgsnap archive-get %f %p")
                _ = try archiveModeValue()
                _ = try tablespaceMappings()
                guard pgdata.hasPrefix("/") else {
                    throw RestoreError(
                        code: .invalidOption, detail: "--pgdata \(Echo.value(pgdata)): give an absolute path")
                }
                if inPlace && (overwrite || owner != nil) {
                    throw RestoreError(
                        code: .invalidOption,
                        detail: "--in-place works on the clone as it is: it takes no --overwrite or --owner")
                }
                if let waldir, !waldir.hasPrefix("/") {
                    throw RestoreError(
                        code: .invalidOption, detail: "--waldir \(Echo.value(waldir)): give an absolute path")
                }
            } catch {
                try Terminal.fail(error, json: common.json)
            }
        }

        func run() throws {
            try Terminal.run(common) { settings in
                Interruption.install()
                let logger = Terminal.logger(settings)
                let request = RestoreRequest(
                    target: try settings.requiredTarget(), backupID: id, dataDirectory: pgdata,
                    tablespaces: try tablespaceMappings(), walDirectory: waldir, overwrite: overwrite,
                    owner: try owner.map { text throws(RestoreError) in try RestoreOwner.resolve(text) },
                    recovery: try recovery(archive: archiveCommand(try settings.requiredTarget())),
                    archiveMode: try archiveModeValue())
                if inPlace {
                    let restorer = InPlaceRestorer(
                        request: request, log: { logger.info("\($0)") }, notice: { logger.warning("\($0)") })
                    let result = try Self.run { () throws(RestoreError) in try restorer.run() }
                    return settings.json ? Terminal.printJSON(result) : print(Self.summary(result))
                }
                let restorer = Restorer(
                    request: request, log: { logger.info("\($0)") },
                    notice: { logger.warning("\($0)") })
                restorer.onProgress = Terminal.progressSink(settings)
                let result = try Self.run(restorer)
                if restorer.onProgress != nil { Terminal.clearProgressLine() }
                if settings.json {
                    Terminal.printJSON(result)
                } else {
                    print(Self.summary(result))
                }
            }
        }

        /// The recovery options as PostgreSQL will read them, refused as PostgreSQL would
        /// refuse them (the server's version is checked again once the backup is known).
        /// archive-get of the target's WAL archive, nil without one or with --no-archive.
        private func archiveCommand(_ target: String) -> String? {
            guard !noArchive, restoreCommand == nil, ArchiveRestoreCommand.archiveExists(target: target) else {
                return nil
            }
            return ArchiveRestoreCommand.line(
                executable: ArchiveRestoreCommand.runningExecutable, config: common.config, target: target)
        }

        /// `archive` is the restore_command to use when --restore-command is not given.
        private func recovery(archive: String?) throws(RestoreError) -> RecoverySettings {
            var action: RecoverySettings.Action?
            if let targetAction {
                guard let parsed = RecoverySettings.Action(rawValue: targetAction) else {
                    throw RestoreError(
                        code: .invalidOption,
                        detail: "--target-action \(Echo.value(targetAction)): expected pause, promote or shutdown")
                }
                action = parsed
            }
            var recovery = RecoverySettings(
                standby: standby, restoreCommand: restoreCommand ?? archive, targetTime: targetTime,
                targetName: targetName, targetLSN: targetLSN, targetAction: action)
            recovery.primaryConninfo = primaryConninfo
            recovery.primarySlot = primarySlot
            if let primaryConninfo {
                // Written into postgresql.auto.conf, which backups copy: a password never goes there.
                switch ConnectionString.containsPassword(primaryConninfo) {
                case .success(false): break
                case .success(true):
                    throw RestoreError(
                        code: .invalidOption,
                        detail: "--primary-conninfo must not contain a password: put it in the standby user's ~/.pgpass"
                    )
                case .failure(let error):
                    throw RestoreError(
                        code: .invalidOption, detail: "--primary-conninfo is malformed: \(error.libpqMessage)")
                }
            }
            try recovery.validate(serverMajorVersion: 0)
            return recovery
        }

        private func archiveModeValue() throws(RestoreError) -> ArchiveMode? {
            guard let archiveMode else { return nil }
            guard let mode = ArchiveMode(rawValue: archiveMode) else {
                throw RestoreError(
                    code: .invalidOption, detail: "--archive-mode \(Echo.value(archiveMode)): expected off or preserve")
            }
            return mode
        }

        private func tablespaceMappings() throws(RestoreError) -> [TablespaceMapping] {
            try tablespaces.map { text throws(RestoreError) in try TablespaceMapping(parsing: text) }
        }

        /// The restore, its failure after a signal reported as the interruption it is.
        private static func run(_ restorer: Restorer) throws -> RestoreResult {
            try run { () throws(RestoreError) in try restorer.run() }
        }

        private static func run(_ restore: () throws(RestoreError) -> RestoreResult) throws -> RestoreResult {
            do {
                return try restore()
            } catch {
                guard let signal = Interruption.signal else { throw error }
                throw RestoreError(code: .interrupted, detail: "restore interrupted by signal \(signal)")
            }
        }

        private static func summary(_ result: RestoreResult) -> String {
            var line = "pgsnap: restored backup \(result.id) into \(result.pgdata): \(result.files) files, "
            line += "\(ByteCount(result.bytes)), \(result.walSegments) WAL segments, "
            line += String(format: "%.1f s; recovery: ", result.seconds) + result.recovery
            let moved: [String] = result.tablespaces.map { "\($0.name) → \($0.location)" }
            if !moved.isEmpty { line += "; tablespaces: " + moved.joined(separator: ", ") }
            return line
        }
    }
}

import ArgumentParser
import Catalog
import Configuration
import ExitStatus
import Foundation
import Preflight
import TargetLayout
import Verify
import WALArchive

extension PgsnapCommand {
    /// `pgsnap verify`: prove backups restorable without restoring them.
    struct VerifyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check backups without restoring them: every file against backup_manifest, and the WAL.",
            discussion: """
                Decompresses every archive (all at once), checks each file's size and checksum against \
                backup_manifest, the manifest's own checksum, that nothing is missing or extra, that each archive \
                is a complete zstd stream, and that the WAL covers the backup with this cluster's segments. Checks \
                backup.json's checksum and its agreement with backup_label, tablespace_map, pg_control and the \
                manifest. Names every problem found; exits 9 if there is any. A backup.json without checksum (an \
                older pgsnap's) is a warning.
                """)

        @Argument(help: "Backup ID, or 'latest'.")
        var id: String?

        @Flag(name: .long, help: "Verify every complete backup in the target.")
        var all = false

        @Flag(
            name: .long,
            help:
                "Also verify the WAL archive: every file's checksum and header, no gap from the oldest backup's start to the newest segment on each timeline. Alone: only the archive."
        )
        var wal = false

        @OptionGroup(title: HelpSection.metrics) var metrics: MetricsOptions
        @OptionGroup var common: CommonOptions

        func validate() throws {
            if all && id != nil || !wal && !all && id == nil {
                try Terminal.fail(
                    UsageError(message: "give a backup ID or --all (not both), or --wal", command: "verify"),
                    json: common.json)
            }
        }

        /// What `--json` prints.
        struct Output: Encodable {
            var ok: Bool
            var backups: [VerifyReport]
            var wal: WALArchiveReport?
        }

        func run() throws {
            try Terminal.run(common, [metrics], metrics: .verify) { settings in
                let target = try settings.requiredTarget()
                var verifier = BackupVerifier(target: target)
                verifier.onProgress = Terminal.progressSink(settings)
                let ids = all ? try verifier.backupIDs() : id.map { [$0] } ?? []
                if ids.isEmpty && !wal {
                    throw LayoutError(code: .notFound, detail: "no complete backup in \(target)")
                }
                var reports: [VerifyReport] = []
                for id in ids {
                    // --all lists complete backups through the catalog once; a single ID is resolved.
                    let report = all ? try verifier.verify(listedID: id) : try verifier.verify(id: id)
                    if verifier.onProgress != nil { Terminal.clearProgressLine() }
                    reports.append(report)
                    if !settings.json { print(Self.describe(report)) }
                }
                let archive = wal ? try Self.verifyArchive(settings, target: target) : nil
                if let archive, !settings.json { print(Self.describe(archive)) }
                let ok = reports.allSatisfy(\.ok) && archive?.ok != false
                if settings.json { Terminal.printJSON(Output(ok: ok, backups: reports, wal: archive)) }
                if !ok {
                    // The report is on stdout; cron mail and monitoring read stderr's one line.
                    let line =
                        reports.allSatisfy(\.ok)
                        ? "the WAL archive is damaged (\(archive?.problems.count ?? 0) problem(s)) — the report names each"
                        : Self.damagedLine(reports)
                    Terminal.printLine(line)
                    throw ExitCode(ExitStatus.damaged.rawValue)
                }
            }
        }

        /// The archive checked from the oldest complete backup's first segment on.
        static func verifyArchive(_ settings: Settings, target: String) throws -> WALArchiveReport {
            guard ArchiveRestoreCommand.archiveExists(target: target) else {
                throw LayoutError(code: .notFound, detail: "\(target) has no WAL archive (wal/)")
            }
            let catalog = try CatalogAccess.open(settings)
            let starts = catalog.entries.filter { $0.status == .complete }.compactMap { $0.walRange?.start }
            let oldest = starts.min { $0.dropFirst(8) < $1.dropFirst(8) }
            return WALArchiveVerifier.verify(
                target: target, oldestStart: oldest,
                systemIdentifier: catalog.owner.systemIdentifier.flatMap { UInt64($0) })
        }

        static func describe(_ report: WALArchiveReport) -> String {
            let range = "\(report.from ?? "the first segment") through \(report.through ?? "-")"
            let timelines = report.timelines.map(String.init).joined(separator: ", ")
            if report.ok {
                return "pgsnap: WAL archive verified: \(report.files) files, timelines \(timelines), \(range)"
            }
            return
                (["pgsnap: WAL archive DAMAGED: \(report.problems.count) problem(s); \(report.files) files, \(range)"]
                + report.problems.map { "  \($0.kind): \(Echo.value($0.message, limit: 500))" }).joined(separator: "\n")
        }

        /// `backup X is damaged (2 problems, first: file_checksum) — …`, or the count of damaged backups.
        static func damagedLine(_ reports: [VerifyReport]) -> String {
            let damaged = reports.filter { !$0.ok }
            let problems = damaged.map(\.problems.count).reduce(0, +)
            let first = damaged.first?.problems.first.map { ", first: \($0.kind.rawValue)" } ?? ""
            let subject =
                damaged.count == 1 ? "backup \(damaged[0].id) is" : "\(damaged.count) of \(reports.count) backups are"
            return "\(subject) damaged (\(problems) problem(s)\(first)) — do not restore it; "
                + "the report lists every problem, and 'pgsnap list' shows the other backups"
        }

        static func describe(_ report: VerifyReport) -> String {
            let rate = "\(ByteCount(UInt64(report.throughputBytesPerSecond)))/s"
            let figures =
                "\(report.files) files, \(ByteCount(report.bytes)) (\(ByteCount(report.compressedBytes)) compressed) "
                + "in \(String(format: "%.1f", report.seconds)) s, \(rate)"
            // Problem messages carry member names and paths from the backup directory: escaped,
            // so a name holding a line break cannot forge a "verified" line in the report.
            let warnings = report.warnings.map { "  warning: \(Echo.value($0, limit: 500))" }
            if report.ok {
                return (["pgsnap: backup \(report.id) verified: \(figures)"] + warnings).joined(separator: "\n")
            }
            var lines = ["pgsnap: backup \(report.id) DAMAGED: \(report.problems.count) problem(s); \(figures)"]
            lines += report.problems.map { "  \($0.kind.rawValue): \(Echo.value($0.message, limit: 500))" } + warnings
            return lines.joined(separator: "\n")
        }
    }
}

import ArgumentParser
import Configuration
import ExitStatus
import Logging
import WALArchive

extension PgsnapCommand {
    /// `pgsnap archive-get %f %p`: PostgreSQL's restore_command.
    struct ArchiveGet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "archive-get",
            abstract: "Restore a WAL file from the target's WAL archive (for restore_command).",
            discussion: """
                restore_command = 'pgsnap archive-get %f %p --config /etc/pgsnap/pgsnap.conf'. A file the archive \
                does not hold exits 15 without a word: recovery asks for the next file until there is none. \
                Into a pg_wal it also fetches the next archive_get_prefetch segments into pg_wal/.pgsnap-spool, \
                which later calls serve after checking them again (docs/wal-archive.md).
                """)

        @OptionGroup(title: "Recovery options") var options: ArchiveGetOptions
        @OptionGroup var common: CommonOptions

        @Argument(help: "The WAL file's name (%f).")
        var name: String

        @Argument(help: "Where to write it (%p).")
        var path: String

        func run() throws {
            try Terminal.run(common, [options]) { settings in
                do {
                    let archive = try WALArchive.forGet(target: try settings.requiredTarget())
                    let result = try archive.get(name, to: path, prefetch: settings.archiveGetPrefetch)
                    Self.log(result, name: name, Terminal.logger(settings))
                } catch let error as WALArchiveError where error.code == .notFound {
                    // The end of the archive, not an error: the server log stays quiet.
                    throw ExitCode(ExitStatus.walNotArchived.rawValue)
                }
            }
        }

        /// Silent at the default level: PostgreSQL logs what restore_command prints. A damaged
        /// spool entry is worth a warning (the disk under pg_wal may be failing).
        static func log(_ result: WALGetResult, name: String, _ logger: Logger) {
            for line in result.discarded { logger.warning("\(line): fetched \(name) from the archive instead") }
            logger.debug("\(name) \(result.servedFromSpool ? "served from the spool" : "fetched from the archive")")
            if let spool = result.spool, result.prefetched > 0 {
                logger.debug("fetched \(result.prefetched) segments ahead into \(spool)")
            }
        }
    }
}

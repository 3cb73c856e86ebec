import ArgumentParser
import Configuration
import ExitStatus
import WALArchive

extension PgsnapCommand {
    /// `pgsnap archive-get %f %p`: PostgreSQL's restore_command.
    struct ArchiveGet: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "archive-get",
            abstract: "Restore a WAL file from the target's WAL archive (for restore_command).",
            discussion: """
                restore_command = 'pgsnap archive-get %f %p --config /etc/pgsnap/pgsnap.conf'. A file the archive \
                does not hold exits 15 without a word: recovery asks for the next file until there is none.
                """)

        @OptionGroup var common: CommonOptions

        @Argument(help: "The WAL file's name (%f).")
        var name: String

        @Argument(help: "Where to write it (%p).")
        var path: String

        func run() throws {
            try Terminal.run(common) { settings in
                do {
                    try WALArchive.forGet(target: try settings.requiredTarget()).get(name, to: path)
                } catch let error as WALArchiveError where error.code == .notFound {
                    // The end of the archive, not an error: the server log stays quiet.
                    throw ExitCode(ExitStatus.walNotArchived.rawValue)
                }
            }
        }
    }
}

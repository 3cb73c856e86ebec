import ArgumentParser
import Configuration
import WALArchive

extension PgsnapCommand {
    /// `pgsnap archive-push %p`: PostgreSQL's archive_command, run as the cluster's user.
    struct ArchivePush: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "archive-push",
            abstract: "Store a WAL file in the target's WAL archive (for archive_command).",
            discussion: """
                archive_command = 'pgsnap archive-push %p --config /etc/pgsnap/pgsnap.conf'. Runs as the \
                cluster's OS user without the run lock; silent on success. Exit 14 when different content is \
                already archived under the name or the file is not this cluster's WAL (docs/wal-archive.md).
                """)

        @OptionGroup(title: "Archiving options") var options: ArchivePushOptions
        @OptionGroup var common: CommonOptions

        @Argument(help: "The WAL file to archive (%p).")
        var path: String

        func run() throws {
            try Terminal.run(common, [options]) { settings in
                let archive = try WALArchive.forPush(
                    target: try settings.requiredTarget(), compressionLevel: settings.compressLevel)
                try archive.push(path)
                // Only once its own file is safe: the others are a head start, not its job.
                archive.pushReadyAlongside(path, workers: settings.archivePushWorkers)
            }
        }
    }
}

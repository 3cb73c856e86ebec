import ArgumentParser

/// The `pgsnap` command: subcommands parse and validate, the library modules do the work.
@main
struct PgsnapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgsnap",
        abstract: "Consistent online PostgreSQL backups from LVM snapshots.",
        version: PgsnapVersion.description,
        subcommands: [
            Check.self, Estimate.self, BackupCommand.self, List.self, Info.self, VerifyCommand.self,
            RestoreCommand.self,
            Prune.self, Cleanup.self, Freeze.self, Thaw.self, SnapshotExec.self, ArchivePush.self,
            ArchiveGet.self,
        ])
}

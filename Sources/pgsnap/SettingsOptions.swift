import ArgumentParser
import Configuration
import ExitStatus

/// Flags shared by every subcommand: one per configuration key, plus `--config`.
struct SettingsOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: /etc/pgsnap/pgsnap.conf when it exists).")
    var config: String?

    @Option(name: .long, help: "libpq connection string, e.g. 'host=/run/postgresql port=5432 user=postgres'. Never put a password here: use ~/.pgpass.")
    var conninfo: String?

    @Option(name: .long, help: "Directory where backups live.")
    var target: String?

    @Option(name: .long, help: "Snapshot method: lvm or none.")
    var snapshot: String?

    @Option(name: .customLong("snapshot-size"), help: "Size of each classic snapshot: a percentage of its origin (20%) or a size (10G).")
    var snapshotSize: String?

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    @Option(name: .customLong("log-level"), help: "debug, info, warning or error.")
    var logLevel: String?

    @Option(name: .customLong("run-directory"), help: "Directory for the run lock and snapshot mounts (default /run/pgsnap).")
    var runDirectory: String?

    @Option(name: .long, help: "Checkpoint at backup start: fast or spread.")
    var checkpoint: String?

    @Option(name: .customLong("compress-level"), help: "zstd level, 1-19 (default 3).")
    var compressLevel: String?

    @Option(name: .customLong("compress-workers"), help: "zstd worker threads per archive (default 2).")
    var compressWorkers: String?

    @Option(name: .customLong("manifest-checksums"), help: "crc32c, sha256 or none.")
    var manifestChecksums: String?

    @Option(name: .customLong("wal-archive"), help: "Take WAL segments from this archive directory instead of pg_wal.")
    var walArchive: String?

    @Option(name: .customLong("wal-archive-timeout"), help: "Seconds to wait for WAL archiving with --wal-archive before failing (default 60).")
    var walArchiveTimeout: String?

    @Option(name: .customLong("watch-interval"), help: "Seconds between snapshot fill checks (default 2).")
    var watchInterval: String?

    @Option(name: .long, help: "Backup label recorded by PostgreSQL.")
    var label: String?

    @Option(name: .customLong("keep-last"), help: "Retention: keep the newest N complete backups.")
    var keepLast: String?

    @Option(name: .customLong("keep-days"), help: "Retention: keep complete backups younger than D days.")
    var keepDays: String?

    @Option(name: .customLong("hook-directory"), help: "Directory of hook executables named after backup events (docs/hooks.md).")
    var hookDirectory: String?

    @Option(name: .customLong("hook-timeout"), help: "Seconds a hook may run before it is terminated (default 300).")
    var hookTimeout: String?

    /// The merged settings, or exit with the configuration error's one line and code 3.
    func settingsOrExit() throws -> Settings {
        do {
            return try resolve()
        } catch {
            try Terminal.fail(error, json: json)
        }
    }

    /// Merges defaults, the configuration file and these flags.
    func resolve() throws(ConfigurationError) -> Settings {
        let file: ConfigFile?
        if let config {
            file = try ConfigFile.load(path: config)
        } else {
            // The default file is optional: a missing one means defaults and flags only, but one
            // that exists and is broken is reported.
            do {
                file = try ConfigFile.load(path: Settings.defaultPath)
            } catch .fileNotFound {
                file = nil
            }
        }
        var overrides: [SettingKey: String] = [:]
        overrides[.conninfo] = conninfo
        overrides[.target] = target
        overrides[.snapshot] = snapshot
        overrides[.snapshotSize] = snapshotSize
        overrides[.logLevel] = logLevel
        overrides[.runDirectory] = runDirectory
        overrides[.checkpoint] = checkpoint
        overrides[.compressLevel] = compressLevel
        overrides[.compressWorkers] = compressWorkers
        overrides[.manifestChecksums] = manifestChecksums
        overrides[.walArchive] = walArchive
        overrides[.walArchiveTimeout] = walArchiveTimeout
        overrides[.watchInterval] = watchInterval
        overrides[.label] = label
        overrides[.keepLast] = keepLast
        overrides[.keepDays] = keepDays
        overrides[.hookDirectory] = hookDirectory
        overrides[.hookTimeout] = hookTimeout
        if json { overrides[.json] = "on" }
        return try Settings.resolve(file: file, overrides: overrides)
    }
}

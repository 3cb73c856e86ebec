import ArgumentParser
import Configuration

/// How `backup` runs once it is planned: backup mode, the archives, the snapshot watcher and
/// the time limits of the WAL archiver and the hooks. Only `backup` reads these.
struct CopyOptions: SettingsGroup {
    @Option(name: .long, help: "Checkpoint at backup start: fast or spread.")
    var checkpoint: String?

    @Option(name: .customLong("compress-level"), help: "zstd level, 1-19 (default 3).")
    var compressLevel: String?

    @Option(name: .customLong("compress-workers"), help: "zstd worker threads per archive (default 2).")
    var compressWorkers: String?

    @Option(
        name: .customLong("max-rate"),
        help: "Bytes per second read from the volumes, all archives together, 32K-100G, or off (default off).")
    var maxRate: String?

    @Option(name: .customLong("manifest-checksums"), help: "crc32c, sha256 or none.")
    var manifestChecksums: String?

    @Option(name: .long, help: "Backup label recorded by PostgreSQL.")
    var label: String?

    @Option(name: .customLong("watch-interval"), help: "Seconds between snapshot fill checks (default 2).")
    var watchInterval: String?

    @Option(
        name: .customLong("snapshot-autoextend-threshold"),
        help: "Percent full at which a classic snapshot is extended during the copy, 50-100 (100: off; default 70).")
    var snapshotAutoextendThreshold: String?

    @Option(
        name: .customLong("snapshot-autoextend-percent"),
        help: "Percent of its size an extension adds, 1-500 (default 20).")
    var snapshotAutoextendPercent: String?

    @Option(
        name: .customLong("thin-pool-danger-threshold"),
        help: "Percent of a thin pool's data or metadata at which the backup fails, 50-99 (default 90).")
    var thinPoolDangerThreshold: String?

    @Option(
        name: .customLong("wal-archive-timeout"),
        help: "Seconds to wait for WAL archiving with --wal-archive before failing (default 60).")
    var walArchiveTimeout: String?

    @Option(name: .customLong("hook-timeout"), help: "Seconds a hook may run before it is terminated (default 300).")
    var hookTimeout: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.checkpoint] = checkpoint
        overrides[.compressLevel] = compressLevel
        overrides[.compressWorkers] = compressWorkers
        overrides[.maxRate] = maxRate
        overrides[.manifestChecksums] = manifestChecksums
        overrides[.label] = label
        overrides[.watchInterval] = watchInterval
        overrides[.snapshotAutoextendThreshold] = snapshotAutoextendThreshold
        overrides[.snapshotAutoextendPercent] = snapshotAutoextendPercent
        overrides[.thinPoolDangerThreshold] = thinPoolDangerThreshold
        overrides[.walArchiveTimeout] = walArchiveTimeout
        overrides[.hookTimeout] = hookTimeout
        return overrides
    }
}

/// Every metric and label name of the metrics file, spelled once (docs/operations.md lists
/// them). Prometheus' conventions: the `pgsnap_` prefix, base units in the name (`_seconds`,
/// `_bytes`, `_ratio`), `_timestamp_seconds` for times since the epoch.
enum MetricNames {
    static let targetLabel = "target"
    static let clusterLabel = "cluster"
    static let commandLabel = "command"

    // Per command (label `command`), kept across runs of the other commands.
    static let lastAttempt = "pgsnap_last_attempt_timestamp_seconds"
    static let lastSuccess = "pgsnap_last_success_timestamp_seconds"
    static let lastExitStatus = "pgsnap_last_exit_status"
    static let lastRunSucceeded = "pgsnap_last_run_success"
    static let lastDuration = "pgsnap_last_run_duration_seconds"

    // The target's backups, recomputed from the catalog on every write.
    static let completeBackups = "pgsnap_complete_backups"
    static let newestStart = "pgsnap_newest_backup_start_timestamp_seconds"
    static let newestEnd = "pgsnap_newest_backup_end_timestamp_seconds"
    static let newestAge = "pgsnap_newest_backup_age_seconds"
    static let newestDuration = "pgsnap_newest_backup_duration_seconds"
    static let newestRead = "pgsnap_newest_backup_read_bytes"
    static let newestWritten = "pgsnap_newest_backup_written_bytes"
    static let newestCompression = "pgsnap_newest_backup_compression_ratio"
    static let newestBackupMode = "pgsnap_newest_backup_backup_mode_seconds"
    static let newestPeakFill = "pgsnap_newest_backup_snapshot_peak_fill_ratio"
    static let walNewest = "pgsnap_wal_archive_newest_segment_timestamp_seconds"
    static let walNewestTimeline = "pgsnap_wal_archive_newest_segment_timeline"
}

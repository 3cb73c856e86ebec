import Foundation

/// Every setting pgsnap knows. Each is both a configuration-file key and a long flag
/// (`snapshot_size` ↔ `--snapshot-size`), so scripts can run without any file.
public enum SettingKey: String, Sendable, CaseIterable {
    case conninfo
    case target
    case snapshot
    case snapshotSize = "snapshot_size"
    case snapshotSizeMin = "snapshot_size_min"
    case snapshotSizeMax = "snapshot_size_max"
    case snapshotSizeSample = "snapshot_size_sample"
    case json
    case logLevel = "log_level"
    case logDestination = "log_destination"
    case logFile = "log_file"
    case runDirectory = "run_directory"
    case checkpoint
    case compressLevel = "compress_level"
    case compressWorkers = "compress_workers"
    case maxRate = "max_rate"
    case manifestChecksums = "manifest_checksums"
    case walArchive = "wal_archive"
    case walArchiveTimeout = "wal_archive_timeout"
    case watchInterval = "watch_interval"
    case snapshotAutoextendThreshold = "snapshot_autoextend_threshold"
    case snapshotAutoextendPercent = "snapshot_autoextend_percent"
    case thinPoolDangerThreshold = "thin_pool_danger_threshold"
    case label
    case keepLast = "keep_last"
    case keepDays = "keep_days"
    case hookDirectory = "hook_directory"
    case hookTimeout = "hook_timeout"
    case freezeTimeout = "freeze_timeout"
    case archivePushWorkers = "archive_push_workers"
    case metricsFile = "metrics_file"
    case archiveGetPrefetch = "archive_get_prefetch"

    /// The long flag that overrides this key.
    public var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }

    /// Closest known key to a misspelt one, for "did you mean" hints.
    static func suggestion(for unknown: String) -> String? {
        let scored = allCases.map { ($0.rawValue, editDistance($0.rawValue, unknown)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 3 else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}

import PostgresClient

/// The settings of one pgsnap run, after defaults, the configuration file and flags are merged
/// (flags win over the file, the file over defaults).
public struct Settings: Sendable, Equatable {
    /// libpq connection string or URI; empty means libpq's defaults (PGHOST, PGSERVICE, …).
    public var conninfo: String = ""
    /// Directory where backups live.
    public var target: String?
    public var snapshot: SnapshotMode = .lvm
    /// Size of each classic snapshot.
    public var snapshotSize: SnapshotSize = .percentOfOrigin(20)
    /// With `snapshot_size = auto`, the least and the most each classic snapshot gets (a size
    /// or a percentage of its origin; the maximum wins where they cross).
    public var snapshotSizeMin: SnapshotSize = .bytes(256 << 20)
    public var snapshotSizeMax: SnapshotSize = .percentOfOrigin(50)
    /// With `snapshot_size = auto`, seconds of the origins' writes sampled before backup mode.
    public var snapshotSizeSample: Double = 10
    /// Print machine-readable JSON instead of text.
    public var json: Bool = false
    public var logLevel: LogLevel = .warning
    /// Where the log lines go; `file` needs `log_file`.
    public var logDestination: LogDestination = .stderr
    /// The file `log_destination = file` appends to (an absolute path).
    public var logFile: String?
    /// Holds the run lock and the mount points of snapshots (`<run_directory>/mnt/<backup id>`).
    public var runDirectory: String = "/run/pgsnap"
    /// Ask for an immediate checkpoint at backup start (fast) or let it spread (spread).
    public var fastCheckpoint: Bool = true
    public var compressLevel: Int = 3
    /// zstd worker threads per archive; 0 compresses on the reading thread.
    public var compressWorkers: Int = 2
    /// `max_rate`: bytes per second the backup reads from its volumes, all archives together
    /// (pg_basebackup's `--max-rate`); nil reads at full speed.
    public var maxRate: UInt64?
    public var manifestChecksums: ManifestChecksums = .crc32c
    /// A WAL archive directory to take segments from instead of the live pg_wal.
    public var walArchive: String?
    /// Seconds a backup with `wal_archive` waits for the server to archive its WAL before it
    /// fails (a failing archive_command would otherwise keep it in backup mode for ever).
    public var walArchiveTimeout: Int = 60
    /// Seconds between snapshot fill checks.
    public var watchInterval: Double = 2
    /// Percent of a classic snapshot's size past which pgsnap extends it during the copy
    /// (docs/sizing.md); 100 turns pgsnap's autoextend off.
    public var snapshotAutoextendThreshold: Int = 70
    /// Percent of a snapshot's current size each extension adds (more if the projection needs it).
    public var snapshotAutoextendPercent: Int = 20
    /// Percent of a thin pool's data or metadata past which the backup fails and its thin
    /// snapshots go, before the pool fills and its origins turn read-only.
    public var thinPoolDangerThreshold: Int = 90
    /// Backup label recorded by PostgreSQL; default `pgsnap <id>`.
    public var label: String?
    /// Retention: keep the newest N complete backups (docs/retention.md).
    public var keepLast: Int?
    /// Retention: keep complete backups younger than D days.
    public var keepDays: Int?
    /// Directory of executables named after backup events (docs/hooks.md); none by default.
    public var hookDirectory: String?
    /// Seconds a hook may run before it is terminated (its whole process group).
    public var hookTimeout: Int = 300
    /// Seconds a `pgsnap freeze` holds backup mode waiting for `thaw` before its watchdog ends
    /// it and records the run as failed (a storage system that died between its hooks).
    public var freezeTimeout: Int = 300
    /// Threads with which one archive-push also stores the other `.ready` WAL files.
    public var archivePushWorkers: Int = 4
    /// node_exporter textfile-collector file that backup, verify and prune rewrite after each run
    /// (docs/operations.md); none by default.
    public var metricsFile: String?
    /// Segments one archive-get fetches ahead into pg_wal's spool; 0 turns the prefetch off.
    public var archiveGetPrefetch: Int = 0

    /// The default configuration file, read only when it exists and no `--config` is given.
    public static let defaultPath = "/etc/pgsnap/pgsnap.conf"

    public init() {}

    /// Merges `file` (if any) and `overrides` (flag values keyed by setting) over the defaults.
    public static func resolve(file: ConfigFile?, overrides: [SettingKey: String]) throws(ConfigurationError)
        -> Settings
    {
        var settings = Settings()
        if let file {
            for entry in file.entries {
                let origin = SettingOrigin.file(path: file.path, line: entry.line)
                guard let key = SettingKey(rawValue: entry.key) else {
                    throw .unknownKey(origin: origin, key: entry.key, suggestion: SettingKey.suggestion(for: entry.key))
                }
                try settings.apply(key, entry.value, origin: origin)
            }
        }
        for key in SettingKey.allCases {
            guard let value = overrides[key] else { continue }
            try settings.apply(key, value, origin: .flag(key.flag))
        }
        try settings.checkPasswordExposure(file: file, overrides: overrides)
        if settings.logDestination == .file, settings.logFile == nil {
            let entry = file?.entries.last { $0.key == SettingKey.logDestination.rawValue }
            let origin: SettingOrigin =
                overrides[.logDestination] != nil
                ? .flag(SettingKey.logDestination.flag)
                : entry.map { .file(path: file?.path ?? "", line: $0.line) } ?? .defaultValue
            throw .invalidValue(
                origin: origin, key: SettingKey.logDestination.rawValue, value: "file",
                expected: "log_file set as well")
        }
        return settings
    }

    private mutating func apply(_ key: SettingKey, _ value: String, origin: SettingOrigin) throws(ConfigurationError) {
        func invalid(_ expected: String) -> ConfigurationError {
            .invalidValue(origin: origin, key: key.rawValue, value: value, expected: expected)
        }
        switch key {
        case .conninfo:
            if case .failure(let error) = ConnectionString.containsPassword(value) {
                throw invalid("a libpq connection string (libpq says: \(error.libpqMessage))")
            }
            conninfo = value
        case .target:
            guard value.hasPrefix("/") else { throw invalid("an absolute directory path") }
            target = value
        case .snapshot:
            guard let mode = SnapshotMode(rawValue: value.lowercased()) else { throw invalid("'lvm' or 'none'") }
            snapshot = mode
        case .snapshotSize:
            guard let size = SnapshotSize(parsing: value) else {
                throw invalid("auto, a percentage of the origin such as 20% or a size of at least 1M such as 10G")
            }
            snapshotSize = size
        case .snapshotSizeMin, .snapshotSizeMax:
            guard let size = SnapshotSize(parsing: value), size != .auto else {
                throw invalid("a percentage of the origin such as 20% or a size of at least 1M such as 10G")
            }
            if key == .snapshotSizeMin { snapshotSizeMin = size } else { snapshotSizeMax = size }
        case .snapshotSizeSample:
            guard let seconds = Double(value), seconds >= 1, seconds <= 600 else {
                throw invalid("seconds from 1 to 600")
            }
            snapshotSizeSample = seconds
        case .json:
            guard let flag = Self.parseBool(value) else { throw invalid("on or off") }
            json = flag
        case .logLevel:
            guard let level = LogLevel(rawValue: value.lowercased()) else {
                throw invalid(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))
            }
            logLevel = level
        case .logDestination:
            guard let destination = LogDestination(rawValue: value.lowercased()) else {
                throw invalid(LogDestination.allCases.map(\.rawValue).joined(separator: ", "))
            }
            logDestination = destination
        case .logFile:
            guard value.hasPrefix("/"), !value.hasSuffix("/"), value.utf8.count < 4096, !value.contains("\n") else {
                throw invalid("an absolute file path")
            }
            logFile = value
        case .runDirectory:
            guard value.hasPrefix("/") else { throw invalid("an absolute directory path") }
            runDirectory = value
        case .checkpoint:
            switch value.lowercased() {
            case "fast": fastCheckpoint = true
            case "spread": fastCheckpoint = false
            default: throw invalid("'fast' or 'spread'")
            }
        case .compressLevel:
            guard let level = Int(value), (1...19).contains(level) else { throw invalid("an integer from 1 to 19") }
            compressLevel = level
        case .compressWorkers:
            guard let workers = Int(value), (0...64).contains(workers) else { throw invalid("an integer from 0 to 64") }
            compressWorkers = workers
        case .maxRate:
            guard let rate = Self.parseRate(value) else {
                throw invalid("off, or a rate from 32K to 100G (bytes per second, such as 50M)")
            }
            maxRate = rate == 0 ? nil : rate
        case .manifestChecksums:
            guard let algorithm = ManifestChecksums(rawValue: value.lowercased()) else {
                throw invalid("crc32c, sha256 or none")
            }
            manifestChecksums = algorithm
        case .walArchive:
            guard value.hasPrefix("/") else { throw invalid("an absolute directory path") }
            walArchive = value
        case .walArchiveTimeout:
            guard let seconds = Int(value), (1...86400).contains(seconds) else {
                throw invalid("whole seconds from 1 to 86400")
            }
            walArchiveTimeout = seconds
        case .watchInterval:
            guard let seconds = Double(value), seconds >= 0.1, seconds <= 3600 else {
                throw invalid("seconds between 0.1 and 3600")
            }
            watchInterval = seconds
        case .snapshotAutoextendThreshold:
            guard let percent = Self.parsePercent(value), (50...100).contains(percent) else {
                throw invalid("a percentage from 50 to 100 (100: off)")
            }
            snapshotAutoextendThreshold = percent
        case .snapshotAutoextendPercent:
            guard let percent = Self.parsePercent(value), (1...500).contains(percent) else {
                throw invalid("a percentage from 1 to 500")
            }
            snapshotAutoextendPercent = percent
        case .thinPoolDangerThreshold:
            guard let percent = Self.parsePercent(value), (50...99).contains(percent) else {
                throw invalid("a percentage from 50 to 99")
            }
            thinPoolDangerThreshold = percent
        case .label:
            guard !value.isEmpty, value.utf8.count < 1024, !value.contains("\n") else {
                throw invalid("a single line of fewer than 1024 bytes")
            }
            label = value
        case .keepLast:
            guard let count = Int(value), count >= 1 else { throw invalid("a positive integer") }
            keepLast = count
        case .keepDays:
            guard let days = Int(value), days >= 1 else { throw invalid("a positive integer (days)") }
            keepDays = days
        case .hookDirectory:
            guard value.hasPrefix("/") else { throw invalid("an absolute directory path") }
            hookDirectory = value
        case .hookTimeout:
            guard let seconds = Int(value), (1...86400).contains(seconds) else {
                throw invalid("whole seconds from 1 to 86400")
            }
            hookTimeout = seconds
        case .freezeTimeout:
            guard let seconds = Int(value), (1...86400).contains(seconds) else {
                throw invalid("whole seconds from 1 to 86400")
            }
            freezeTimeout = seconds
        case .archivePushWorkers:
            guard let workers = Int(value), (1...32).contains(workers) else { throw invalid("an integer from 1 to 32") }
            archivePushWorkers = workers
        case .metricsFile:
            // A file name the collector reads: absolute, one line, not a directory, of a length
            // a path can have.
            guard value.hasPrefix("/"), !value.hasSuffix("/"), value.utf8.count < 4096, !value.contains("\n") else {
                throw invalid("an absolute file path such as /var/lib/prometheus/node-exporter/pgsnap.prom")
            }
            metricsFile = value
        case .archiveGetPrefetch:
            guard let count = Int(value), (0...32).contains(count) else { throw invalid("an integer from 0 to 32") }
            archiveGetPrefetch = count
        }
    }

    /// Passwords belong in .pgpass or a service file: never on the command line, and in a
    /// configuration file only when no other user can read it.
    private func checkPasswordExposure(file: ConfigFile?, overrides: [SettingKey: String]) throws(ConfigurationError) {
        if let flagValue = overrides[.conninfo], case .success(true) = ConnectionString.containsPassword(flagValue) {
            throw .passwordInArguments
        }
        if let file, file.entries.contains(where: { $0.key == SettingKey.conninfo.rawValue }),
            case .success(true) = ConnectionString.containsPassword(conninfo), file.mode & 0o077 != 0
        {
            throw .passwordInReadableFile(path: file.path, mode: String(file.mode, radix: 8))
        }
    }

    /// A whole percentage, with or without its `%`.
    static func parsePercent(_ text: String) -> Int? {
        Int(text.hasSuffix("%") ? String(text.dropLast()) : text)
    }

    /// `max_rate`: `off` (or 0) as 0; otherwise bytes per second with an optional K, M or G
    /// (powers of 1024) and an optional `/s`, from 32K to 100G: below that a backup of any
    /// size would take days, above it no disk is throttled.
    static func parseRate(_ text: String) -> UInt64? {
        var number = text.trimmingCharacters(in: .whitespaces).uppercased()
        if number == "OFF" || number == "0" { return 0 }
        if number.hasSuffix("/S") { number.removeLast(2) }
        if number.hasSuffix("B") && number.count > 1 { number.removeLast() }
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024]
        var multiplier = 1.0
        if let last = number.last, let unit = units[last] {
            multiplier = unit
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite else { return nil }
        let rate = value * multiplier
        guard rate >= 32 * 1024, rate <= 100 * 1024 * 1024 * 1024 else { return nil }
        return UInt64(rate)
    }

    /// PostgreSQL's boolean spellings.
    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }

    /// The target, for the commands that cannot work without one (backup, restore, verify).
    public func requiredTarget() throws(ConfigurationError) -> String {
        guard let target else { throw .missing(key: "target", flag: "--target") }
        return target
    }
}

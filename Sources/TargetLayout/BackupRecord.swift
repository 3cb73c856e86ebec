public import Foundation

/// `backup.json` (`BackupFiles.record`): what a backup is, written last, so its presence in a
/// directory without the `.partial` suffix means the backup is complete and durable.
public struct BackupRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case complete
    }

    /// One volume's contribution.
    public struct Volume: Codable, Sendable, Equatable {
        public var archive: String
        /// `vg/lv` of the origin, nil without snapshots.
        public var origin: String?
        public var snapshotType: String?
        public var snapshotBytes: UInt64?
        /// Highest fill seen while the snapshot existed, in percent.
        public var peakFillPercent: Double?
        /// When the snapshot's one LVM command returned, and how long it took (inside backup
        /// mode); nil in records written before pgsnap kept them.
        public var snapshotCreatedAt: Date?
        public var snapshotCreateSeconds: Double?
        /// The fill over the copy (a thin snapshot's is its pool's), evenly thinned to a bounded
        /// number of samples; nil in records written before pgsnap kept it.
        public var fillHistory: [FillSample]?
        /// pgsnap's extensions of the snapshot during the copy (snapshot_autoextend_threshold);
        /// nil when there were none.
        public var extensions: [Extension]?
        /// Why the snapshot had its size, with `snapshot_size = auto`; nil otherwise.
        public var snapshotSizeChoice: SnapshotSizeChoice?
        public var bytesRead: UInt64
        public var bytesWritten: UInt64
        public var files: Int

        public init(
            archive: String, origin: String?, snapshotType: String?, snapshotBytes: UInt64?,
            peakFillPercent: Double?, bytesRead: UInt64, bytesWritten: UInt64, files: Int
        ) {
            self.archive = archive
            self.origin = origin
            self.snapshotType = snapshotType
            self.snapshotBytes = snapshotBytes
            self.peakFillPercent = peakFillPercent
            self.bytesRead = bytesRead
            self.bytesWritten = bytesWritten
            self.files = files
        }
    }

    /// One reading of a snapshot's fill, `seconds` after the copy began (a number, not a
    /// timestamp: the record's times are whole seconds, the readings every `watch_interval`).
    /// `bytes` is the copy-on-write store in use (data and metadata); nil for a thin pool,
    /// whose `percent` is the fuller of its data and metadata.
    public struct FillSample: Codable, Sendable, Equatable {
        public var seconds: Double
        public var percent: Double
        public var bytes: UInt64?

        public init(seconds: Double, percent: Double, bytes: UInt64?) {
            self.seconds = seconds
            self.percent = percent
            self.bytes = bytes
        }
    }

    /// One extension of a classic snapshot during the copy, `seconds` after it began, at
    /// `fill_percent` of the size it had then.
    public struct Extension: Codable, Sendable, Equatable {
        public var seconds: Double
        public var fillPercent: Double
        public var fromBytes: UInt64
        public var toBytes: UInt64

        public init(seconds: Double, fillPercent: Double, fromBytes: UInt64, toBytes: UInt64) {
            self.seconds = seconds
            self.fillPercent = fillPercent
            self.fromBytes = fromBytes
            self.toBytes = toBytes
        }

        enum CodingKeys: String, CodingKey {
            case seconds
            case fillPercent = "fill_percent"
            case fromBytes = "from_bytes"
            case toBytes = "to_bytes"
        }
    }

    /// Backup mode's window: when it began and ended, and the LVM commands run inside it
    /// (one per snapshot); nil in records written before pgsnap kept it, or without snapshots.
    public struct BackupModeWindow: Codable, Sendable, Equatable {
        public var startedAt: Date
        public var stoppedAt: Date
        public var lvmCommands: Int

        public init(startedAt: Date, stoppedAt: Date, lvmCommands: Int) {
            self.startedAt = startedAt
            self.stoppedAt = stoppedAt
            self.lvmCommands = lvmCommands
        }

        enum CodingKeys: String, CodingKey {
            case startedAt = "started_at"
            case stoppedAt = "stopped_at"
            case lvmCommands = "lvm_commands"
        }
    }

    public var id: String
    public var label: String
    public var status: Status
    public var pgsnapVersion: String
    public var postgresVersion: String
    public var postgresVersionNumber: Int
    public var systemIdentifier: String?
    public var timeline: UInt32
    public var startLSN: String
    public var stopLSN: String
    public var walSegments: [String]
    public var startTime: Date
    public var stopTime: Date
    /// Seconds PostgreSQL spent in backup mode.
    public var backupModeSeconds: Double
    public var backupModeWindow: BackupModeWindow?
    public var snapshotMode: String
    public var dataDirectory: String
    /// Owner of the original data directory, the default owner of a restored one.
    public var dataDirectoryOwner: UInt32
    public var dataDirectoryGroup: UInt32
    public var tablespaces: [Tablespace]
    public var volumes: [Volume]
    public var bytesRead: UInt64
    public var bytesWritten: UInt64
    public var compressionRatio: Double
    /// Bytes read per second over the copy.
    public var throughputBytesPerSecond: Double
    public var compressionLevel: Int
    public var manifestChecksums: String
    /// `external` for the record `pgsnap thaw` writes around a storage system's snapshot
    /// (no data archives, `backup_label` and `tablespace_map` beside the WAL); nil for a
    /// backup pgsnap copied itself, as every record before freeze/thaw existed.
    public var kind: String?
    /// What the storage snapshot of an `external` record held.
    public var external: ExternalSnapshot?

    /// The kind of the record `pgsnap thaw` writes.
    public static let externalKind = "external"

    public struct Tablespace: Codable, Sendable, Equatable {
        public var oid: UInt32
        public var name: String
        public var location: String

        public init(oid: UInt32, name: String, location: String) {
            self.oid = oid
            self.name = name
            self.location = location
        }
    }

    public init(
        id: String, label: String, status: Status, pgsnapVersion: String, postgresVersion: String,
        postgresVersionNumber: Int, systemIdentifier: String?, timeline: UInt32, startLSN: String,
        stopLSN: String, walSegments: [String], startTime: Date, stopTime: Date, backupModeSeconds: Double,
        snapshotMode: String, dataDirectory: String, dataDirectoryOwner: UInt32, dataDirectoryGroup: UInt32,
        tablespaces: [Tablespace], volumes: [Volume], bytesRead: UInt64, bytesWritten: UInt64,
        compressionRatio: Double, throughputBytesPerSecond: Double, compressionLevel: Int,
        manifestChecksums: String
    ) {
        self.id = id
        self.label = label
        self.status = status
        self.pgsnapVersion = pgsnapVersion
        self.postgresVersion = postgresVersion
        self.postgresVersionNumber = postgresVersionNumber
        self.systemIdentifier = systemIdentifier
        self.timeline = timeline
        self.startLSN = startLSN
        self.stopLSN = stopLSN
        self.walSegments = walSegments
        self.startTime = startTime
        self.stopTime = stopTime
        self.backupModeSeconds = backupModeSeconds
        self.snapshotMode = snapshotMode
        self.dataDirectory = dataDirectory
        self.dataDirectoryOwner = dataDirectoryOwner
        self.dataDirectoryGroup = dataDirectoryGroup
        self.tablespaces = tablespaces
        self.volumes = volumes
        self.bytesRead = bytesRead
        self.bytesWritten = bytesWritten
        self.compressionRatio = compressionRatio
        self.throughputBytesPerSecond = throughputBytesPerSecond
        self.compressionLevel = compressionLevel
        self.manifestChecksums = manifestChecksums
    }

    enum CodingKeys: String, CodingKey {
        case id, label, status
        case pgsnapVersion = "pgsnap_version"
        case postgresVersion = "postgresql_version"
        case postgresVersionNumber = "postgresql_version_number"
        case systemIdentifier = "system_identifier"
        case timeline
        case startLSN = "start_lsn"
        case stopLSN = "stop_lsn"
        case walSegments = "wal_segments"
        case startTime = "start_time"
        case stopTime = "stop_time"
        case backupModeSeconds = "backup_mode_seconds"
        case backupModeWindow = "backup_mode_window"
        case snapshotMode = "snapshot_mode"
        case dataDirectory = "data_directory"
        case dataDirectoryOwner = "data_directory_owner"
        case dataDirectoryGroup = "data_directory_group"
        case tablespaces, volumes
        case bytesRead = "bytes_read"
        case bytesWritten = "bytes_written"
        case compressionRatio = "compression_ratio"
        case throughputBytesPerSecond = "throughput_bytes_per_second"
        case compressionLevel = "compression_level"
        case manifestChecksums = "manifest_checksums"
        case kind, external
    }

    /// Encodes as stable, sorted, human-readable JSON with ISO-8601 times, sealed with the
    /// `checksum` that readers check before they believe any field (see `RecordChecksum`).
    public func encoded() throws -> Data {
        let encoder = RecordCoding.encoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return RecordChecksum.seal(try encoder.encode(self))
    }
}

extension BackupRecord.Volume {
    enum CodingKeys: String, CodingKey {
        case archive, origin
        case snapshotType = "snapshot_type"
        case snapshotBytes = "snapshot_bytes"
        case peakFillPercent = "peak_fill_percent"
        case snapshotCreatedAt = "snapshot_created_at"
        case snapshotCreateSeconds = "snapshot_create_seconds"
        case fillHistory = "fill_history"
        case extensions
        case snapshotSizeChoice = "snapshot_size_choice"
        case bytesRead = "bytes_read"
        case bytesWritten = "bytes_written"
        case files
    }
}

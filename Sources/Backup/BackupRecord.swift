internal import Catalog
public import Foundation

/// `backup.json`: what a backup is, written last, so its presence in a directory without the
/// `.partial` suffix means the backup is complete and durable.
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
        public var bytesRead: UInt64
        public var bytesWritten: UInt64
        public var files: Int
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

    public struct Tablespace: Codable, Sendable, Equatable {
        public var oid: UInt32
        public var name: String
        public var location: String
    }

    enum CodingKeys: String, CodingKey {
        case id, label, status, pgsnapVersion = "pgsnap_version", postgresVersion = "postgresql_version"
        case postgresVersionNumber = "postgresql_version_number", systemIdentifier = "system_identifier"
        case timeline, startLSN = "start_lsn", stopLSN = "stop_lsn", walSegments = "wal_segments"
        case startTime = "start_time", stopTime = "stop_time", backupModeSeconds = "backup_mode_seconds"
        case snapshotMode = "snapshot_mode", dataDirectory = "data_directory"
        case dataDirectoryOwner = "data_directory_owner", dataDirectoryGroup = "data_directory_group"
        case tablespaces, volumes, bytesRead = "bytes_read", bytesWritten = "bytes_written"
        case compressionRatio = "compression_ratio", throughputBytesPerSecond = "throughput_bytes_per_second"
        case compressionLevel = "compression_level", manifestChecksums = "manifest_checksums"
    }

    /// Encodes as stable, sorted, human-readable JSON with ISO-8601 times, sealed with the
    /// `checksum` that readers check before they believe any field (see `RecordChecksum`).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return RecordChecksum.seal(try encoder.encode(self))
    }
}

extension BackupRecord.Volume {
    enum CodingKeys: String, CodingKey {
        case archive, origin, snapshotType = "snapshot_type", snapshotBytes = "snapshot_bytes"
        case peakFillPercent = "peak_fill_percent", bytesRead = "bytes_read", bytesWritten = "bytes_written", files
    }
}

public import Foundation

/// What the catalog reads from a `backup.json`: the complete record a backup commits last
/// (`BackupRecord`) and the small record a failed run leaves (`FailedRunRecord`). Decoded
/// leniently (everything but the ID and status optional) because the catalog must still list a
/// record written by an older or newer pgsnap; the keys are the same as the writers' own.
public struct CatalogRecord: Decodable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var label: String?
    public var startTime: Date?
    public var stopTime: Date?
    public var postgresVersion: String?
    /// The cluster the backup is of (`pg_control_system()`), which the target is bound to.
    public var systemIdentifier: String?
    public var bytesRead: UInt64?
    public var bytesWritten: UInt64?
    public var timeline: UInt32?
    public var startLSN: String?
    public var stopLSN: String?
    public var walSegments: [String]?
    /// The one-line message of a failed run.
    public var error: String?
    /// The exit status a failed run ended with.
    public var exitStatus: Int32?
    public var pgsnapVersion: String?
    /// `external` for a record `pgsnap thaw` wrote; nil for a backup pgsnap copied.
    public var kind: String?
    /// Whether backup.json's own checksum holds; not a key of the file, computed from its bytes.
    public var checksum: RecordChecksum.Status = .absent

    enum CodingKeys: String, CodingKey {
        case id, status, label
        case startTime = "start_time"
        case stopTime = "stop_time"
        case postgresVersion = "postgresql_version"
        case systemIdentifier = "system_identifier"
        case bytesRead = "bytes_read"
        case bytesWritten = "bytes_written"
        case timeline
        case startLSN = "start_lsn"
        case stopLSN = "stop_lsn"
        case walSegments = "wal_segments"
        case error
        case exitStatus = "exit_status"
        case pgsnapVersion = "pgsnap_version"
        case kind
    }

    /// Parses `backup.json` as pgsnap writes it (`RecordCoding`); `boundAt` is when the target
    /// was bound, which decides whether a record without a checksum may be an older pgsnap's.
    public static func decode(_ data: Data, boundAt: Date? = nil) throws -> CatalogRecord {
        var record = try RecordCoding.decoder().decode(CatalogRecord.self, from: data)
        record.checksum = RecordChecksum.status(of: data, boundAt: boundAt)
        return record
    }
}

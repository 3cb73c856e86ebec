public import Foundation
public import TargetLayout

/// One run in a target, as `pgsnap list` shows it: a complete backup, or what is left of a run
/// that did not complete.
public struct CatalogEntry: Sendable, Equatable {
    public enum Status: String, Sendable, Encodable {
        /// `<id>/backup.json` with status complete: the only kind that can be restored.
        case complete
        /// `<id>.failed/`: a run that failed; only its record remains.
        case failed
        /// `<id>.partial/` while no run holds the lock: a crash or SIGKILL left it.
        case partial
        /// `<id>.partial/` while a run holds the lock: being written right now.
        case running
        /// `<id>/` without a readable complete record: damaged or tampered with.
        case incomplete
        /// `<id>/` whose complete record fails its checksum (or lost it after the target was
        /// bound): never `latest`, never counted by retention, removed like a failed run once
        /// a newer complete backup exists (docs/retention.md).
        case damaged
        /// `<id>/` complete, but of another cluster than the one the target belongs to
        /// (docs/target.md): listed, never `latest`, never restored, never pruned.
        case foreign
    }

    public var id: String
    /// The directory name in the target (`<id>`, `<id>.failed`, `<id>.partial`).
    public var name: String
    public var path: String
    public var status: Status
    /// The decoded `backup.json`, when there is a readable one.
    public var record: CatalogRecord?

    public init(id: String, name: String, path: String, status: Status, record: CatalogRecord?) {
        self.id = id
        self.name = name
        self.path = path
        self.status = status
        self.record = record
    }

    public var restorable: Bool { status == .complete }

    /// When the run started: from the record, else from the ID (which is the start time), so a
    /// run without a record still has an age for retention.
    public var startTime: Date? { record?.startTime ?? BackupID.date(of: id) }

    public var durationSeconds: Double? {
        guard let start = record?.startTime, let stop = record?.stopTime else { return nil }
        return stop.timeIntervalSince(start)
    }

    /// First and last WAL segment the backup holds.
    public var walRange: (start: String, stop: String)? {
        guard let segments = record?.walSegments, let first = segments.first, let last = segments.last else {
            return nil
        }
        return (first, last)
    }
}

extension CatalogEntry: Encodable {
    enum CodingKeys: String, CodingKey {
        case id, label, status
        case startTime = "start_time"
        case stopTime = "stop_time"
        case durationSeconds = "duration_seconds"
        case postgresVersion = "postgresql_version"
        case bytesRead = "bytes_read"
        case bytesWritten = "bytes_written"
        case timeline
        case startLSN = "start_lsn"
        case stopLSN = "stop_lsn"
        case walStart = "wal_start"
        case walStop = "wal_stop"
        case systemIdentifier = "system_identifier"
        case restorable
        case recordChecksum = "record_checksum"
    }

    /// A `pgsnap list --json` row: every key present (null when unknown), so scripts can rely
    /// on the shape whatever the status; times in ISO-8601 like backup.json.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(record?.label, forKey: .label)
        try container.encode(status.rawValue, forKey: .status)
        try container.encode(startTime.map(Self.iso8601), forKey: .startTime)
        try container.encode(record?.stopTime.map(Self.iso8601), forKey: .stopTime)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(record?.postgresVersion, forKey: .postgresVersion)
        try container.encode(record?.systemIdentifier, forKey: .systemIdentifier)
        try container.encode(record?.bytesRead, forKey: .bytesRead)
        try container.encode(record?.bytesWritten, forKey: .bytesWritten)
        try container.encode(record?.timeline, forKey: .timeline)
        try container.encode(record?.startLSN, forKey: .startLSN)
        try container.encode(record?.stopLSN, forKey: .stopLSN)
        try container.encode(walRange?.start, forKey: .walStart)
        try container.encode(walRange?.stop, forKey: .walStop)
        try container.encode(restorable, forKey: .restorable)
        // valid, absent (an older pgsnap's record) or mismatch (edited or damaged: list shows it damaged).
        try container.encode(record?.checksum.rawValue, forKey: .recordChecksum)
    }

    static func iso8601(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

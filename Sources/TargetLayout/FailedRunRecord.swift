public import Foundation

/// The `backup.json` of `<id>.failed/`: all that is left of a run that failed after it started
/// writing, so `pgsnap list` and monitoring can see that (and why) a scheduled backup did not
/// happen, without keeping archives nobody can restore from.
public struct FailedRunRecord: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    public var status: String = "failed"
    public var startTime: Date
    public var stopTime: Date
    /// The one-line message pgsnap printed when the run failed.
    public var error: String
    public var exitStatus: Int32
    public var pgsnapVersion: String

    public init(
        id: String, label: String, startTime: Date, stopTime: Date, error: String, exitStatus: Int32,
        pgsnapVersion: String
    ) {
        self.id = id
        self.label = label
        self.startTime = startTime
        self.stopTime = stopTime
        self.error = error
        self.exitStatus = exitStatus
        self.pgsnapVersion = pgsnapVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, label, status
        case startTime = "start_time"
        case stopTime = "stop_time"
        case error
        case exitStatus = "exit_status"
        case pgsnapVersion = "pgsnap_version"
    }

    /// The same JSON style as a complete backup's record: sorted keys, ISO-8601 times, and
    /// sealed with the same checksum (unsealed, a failed run's record in a bound target would be
    /// listed with `record_checksum: mismatch`, as if someone had removed its checksum).
    public func encoded() throws -> Data {
        RecordChecksum.seal(try RecordCoding.encoder().encode(self))
    }
}

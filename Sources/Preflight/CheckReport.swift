public import Configuration
public import ExitStatus

/// Everything `pgsnap check` found: the server, where each directory lives, the snapshots a
/// backup would make, the target, and every problem standing in the way.
public struct CheckReport: Sendable, Encodable {
    public var snapshotMode: SnapshotMode
    public var server: ServerFacts?
    public var directories: [LocatedDirectory] = []
    public var snapshots: [PlannedSnapshot] = []
    public var target: TargetFacts?
    /// The target's WAL archive, when it has one.
    public var walArchive: WALArchiveFacts?
    public var problems: [Problem] = []

    public init(snapshotMode: SnapshotMode) {
        self.snapshotMode = snapshotMode
    }

    /// A backup could run.
    public var ok: Bool { problems.isEmpty }

    /// The exit status: success, or the earliest stage that has a problem (configuration,
    /// PostgreSQL, storage, target — in that order, which is also their numeric order).
    public var exitStatus: ExitStatus {
        problems.map(\.exitStatus).min { $0.rawValue < $1.rawValue } ?? .success
    }

    enum CodingKeys: String, CodingKey {
        case ok
        case exitStatus = "exit_status"
        case snapshotMode = "snapshot_mode"
        case server, directories, snapshots, target, problems
        case walArchive = "wal_archive"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(exitStatus.rawValue, forKey: .exitStatus)
        try container.encode(snapshotMode.rawValue, forKey: .snapshotMode)
        try container.encode(server, forKey: .server)
        try container.encode(directories, forKey: .directories)
        try container.encode(snapshots, forKey: .snapshots)
        try container.encode(target, forKey: .target)
        // Only with an archive, so the report of a target without one stays as it was.
        try container.encodeIfPresent(walArchive, forKey: .walArchive)
        try container.encode(problems, forKey: .problems)
    }
}

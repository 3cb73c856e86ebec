import Foundation

/// `pgsnap backup --dry-run`: what a real run would do, from the same plan, with nothing
/// changed (no lock, no backup mode, no snapshot, no file in the target). The JSON a script
/// reads, and the lines a person reads.
public struct DryRunReport: Encodable, Sendable {
    public struct Snapshot: Encodable, Sendable {
        public var origin: String
        public var type: String
        /// Classic snapshots' size; with `snapshot_size = auto` the least it may be (the real
        /// run samples the writes first).
        public var snapshotBytes: UInt64?
        public var snapshotSizeAuto: Bool
        public var snapshotName: String
        public var mountDirectory: String

        enum CodingKeys: String, CodingKey {
            case origin, type
            case snapshotBytes = "snapshot_bytes"
            case snapshotSizeAuto = "snapshot_size_auto"
            case snapshotName = "snapshot_name"
            case mountDirectory = "mount_directory"
        }
    }

    public struct Archive: Encodable, Sendable {
        public var archive: String
        public var directory: String
        /// Where its files would be read: inside a mounted snapshot, or the live path.
        public var readFrom: String

        enum CodingKeys: String, CodingKey {
            case archive, directory
            case readFrom = "read_from"
        }
    }

    public struct Hook: Encodable, Sendable {
        public var event: String
        public var path: String
    }

    /// Medians of the last complete backups of this cluster in the target; nil without any.
    public struct Expected: Encodable, Sendable {
        public var bytesRead: UInt64
        public var bytesWritten: UInt64
        public var seconds: Double
        public var backups: [String]

        enum CodingKeys: String, CodingKey {
            case bytesRead = "bytes_read"
            case bytesWritten = "bytes_written"
            case seconds, backups
        }
    }

    public var ok = true
    public var dryRun = true
    public var snapshotMode: String
    public var target: String?
    public var snapshots: [Snapshot] = []
    public var archives: [Archive] = []
    public var hooks: [Hook] = []
    public var expected: Expected?
    /// `max_rate`, which would pace the copy; absent without a limit.
    public var maxRateBytesPerSecond: UInt64?

    enum CodingKeys: String, CodingKey {
        case ok
        case dryRun = "dry_run"
        case snapshotMode = "snapshot_mode"
        case target, snapshots, archives, hooks, expected
        case maxRateBytesPerSecond = "max_rate_bytes_per_second"
    }
}

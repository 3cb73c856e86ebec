/// A file name PostgreSQL hands to `archive_command` (`%f`) or asks `restore_command` for: a
/// segment, a `.partial` segment (the old timeline's last one at a promotion), a timeline
/// history file, or a backup history file (`<segment>.<offset>.backup`). Anything else is no
/// WAL file and is refused, so a name from outside never becomes a path of its own choosing.
public enum WALArchiveName: Sendable, Equatable {
    public static let backupSuffix = ".backup"

    case segment(String)
    /// The segment name without `.partial`.
    case partial(String)
    case history(timeline: UInt32)
    /// The name of the segment the backup started in.
    case backupHistory(segment: String)

    /// Uppercase hex as PostgreSQL writes it (IsXLogFileName, IsPartialXLogFileName,
    /// IsTLHistoryFileName, IsBackupHistoryFileName), nothing else.
    public init?(_ name: String) {
        if WALFileName.isSegmentName(name) {
            self = .segment(name)
        } else if name.hasSuffix(WALFileName.partialSuffix),
            WALFileName.isSegmentName(name.dropLast(WALFileName.partialSuffix.count))
        {
            self = .partial(String(name.dropLast(WALFileName.partialSuffix.count)))
        } else if WALFileName.isHistoryName(name), let timeline = UInt32(name.prefix(8), radix: 16) {
            self = .history(timeline: timeline)
        } else if name.hasSuffix(Self.backupSuffix), name.utf8.count == 24 + 1 + 8 + Self.backupSuffix.count {
            let segment = String(name.prefix(24))
            let offset = name.dropFirst(25).prefix(8)
            guard WALFileName.isSegmentName(segment), name.dropFirst(24).first == ".",
                offset.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) })
            else { return nil }
            self = .backupHistory(segment: segment)
        } else {
            return nil
        }
    }

    /// The segment the file belongs with (which log file directory it is stored in); nil for a
    /// history file, which belongs to a whole timeline.
    public var segmentName: String? {
        switch self {
        case .segment(let name), .partial(let name), .backupHistory(let name): return name
        case .history: return nil
        }
    }

    /// The largest file of this kind PostgreSQL writes: a segment of at most 1 GiB; history and
    /// backup history files are a few lines each.
    public var maximumBytes: UInt64 {
        switch self {
        case .segment, .partial: return 1 << 30
        case .history, .backupHistory: return 1 << 20
        }
    }
}

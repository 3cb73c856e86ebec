/// What `verify --wal` found in the WAL archive: every file's checksum and header, and that
/// every timeline runs without a gap from the oldest kept backup's start to its newest segment.
public struct WALArchiveReport: Sendable, Encodable {
    public struct Problem: Sendable, Encodable, Equatable {
        /// `wal_missing` (a gap) or `wal_invalid` (damaged, truncated, not this cluster's).
        public var kind: String
        public var name: String
        public var message: String
    }

    public var ok: Bool { problems.isEmpty }
    public var files: Int
    public var timelines: [UInt32]
    /// The first segment checked for continuity (the oldest kept backup's start), if known.
    public var from: String?
    /// The newest segment archived.
    public var through: String?
    public var problems: [Problem]

    enum CodingKeys: String, CodingKey {
        case ok, files, timelines, from, through, problems
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ok, forKey: .ok)
        try container.encode(files, forKey: .files)
        try container.encode(timelines, forKey: .timelines)
        try container.encode(from, forKey: .from)
        try container.encode(through, forKey: .through)
        try container.encode(problems, forKey: .problems)
    }
}

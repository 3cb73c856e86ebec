/// What `verify` found for one backup.
public struct VerifyReport: Codable, Sendable, Equatable {
    public var id: String
    public var ok: Bool { problems.isEmpty }
    public var files: Int
    /// Uncompressed bytes read out of the archives.
    public var bytes: UInt64
    /// Bytes of the archive files themselves.
    public var compressedBytes: UInt64
    public var seconds: Double
    public var throughputBytesPerSecond: Double {
        seconds > 0 ? Double(bytes) / seconds : 0
    }
    public var problems: [VerifyProblem]
    /// What verify could not check but is no damage: a backup.json without checksum.
    public var warnings: [String] = []

    public init(
        id: String, files: Int = 0, bytes: UInt64 = 0, compressedBytes: UInt64 = 0, seconds: Double = 0,
        problems: [VerifyProblem] = []
    ) {
        self.id = id
        self.files = files
        self.bytes = bytes
        self.compressedBytes = compressedBytes
        self.seconds = seconds
        self.problems = problems
    }

    enum CodingKeys: String, CodingKey {
        case id, ok, files, bytes
        case compressedBytes = "compressed_bytes"
        case seconds
        case throughputBytesPerSecond = "throughput_bytes_per_second"
        case problems, warnings
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        files = try container.decode(Int.self, forKey: .files)
        bytes = try container.decode(UInt64.self, forKey: .bytes)
        compressedBytes = try container.decode(UInt64.self, forKey: .compressedBytes)
        seconds = try container.decode(Double.self, forKey: .seconds)
        problems = try container.decode([VerifyProblem].self, forKey: .problems)
        warnings = try container.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(ok, forKey: .ok)
        try container.encode(files, forKey: .files)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(compressedBytes, forKey: .compressedBytes)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(throughputBytesPerSecond, forKey: .throughputBytesPerSecond)
        try container.encode(problems, forKey: .problems)
        try container.encode(warnings, forKey: .warnings)
    }
}

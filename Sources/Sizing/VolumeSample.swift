/// What was measured on one origin during the sample window.
public struct VolumeSample: Sendable, Equatable, Encodable {
    /// `vg/lv`.
    public var origin: String
    public var seconds: Double
    /// Bytes the block layer wrote to the origin (`/sys/dev/block/…/stat`): an upper bound of
    /// what a snapshot stores, since a COW snapshot pays once per chunk however often it is
    /// rewritten.
    public var blockBytesWritten: UInt64
    /// Growth of a probe snapshot's copy-on-write store (data and metadata) over the window:
    /// the unique chunks, exactly what a snapshot pays; nil without `--probe`.
    public var probeBytes: UInt64?

    public init(origin: String, seconds: Double, blockBytesWritten: UInt64, probeBytes: UInt64? = nil) {
        self.origin = origin
        self.seconds = seconds
        self.blockBytesWritten = blockBytesWritten
        self.probeBytes = probeBytes
    }

    public var blockBytesPerSecond: Double { seconds > 0 ? Double(blockBytesWritten) / seconds : 0 }
    public var probeBytesPerSecond: Double? { probeBytes.map { seconds > 0 ? Double($0) / seconds : 0 } }

    enum CodingKeys: String, CodingKey {
        case origin, seconds
        case blockBytesWritten = "block_bytes_written"
        case blockBytesPerSecond = "block_bytes_per_second"
        case probeBytes = "probe_bytes"
        case probeBytesPerSecond = "probe_bytes_per_second"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(origin, forKey: .origin)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(blockBytesWritten, forKey: .blockBytesWritten)
        try container.encode(blockBytesPerSecond, forKey: .blockBytesPerSecond)
        try container.encode(probeBytes, forKey: .probeBytes)
        try container.encode(probeBytesPerSecond, forKey: .probeBytesPerSecond)
    }
}

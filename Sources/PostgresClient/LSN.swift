/// A WAL position, written by PostgreSQL as `%X/%X`.
public struct LSN: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var value: UInt64

    public init(_ value: UInt64) {
        self.value = value
    }

    /// Parses `16/B374D848`.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt32(parts[0], radix: 16), let low = UInt32(parts[1], radix: 16) else {
            return nil
        }
        value = UInt64(high) << 32 | UInt64(low)
    }

    public var description: String {
        String(value >> 32, radix: 16, uppercase: true) + "/" + String(value & 0xffff_ffff, radix: 16, uppercase: true)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.value < rhs.value }

    /// The WAL segment file holding this position, as PostgreSQL's `XLogFileName` names it.
    public func walFileName(timeline: UInt32, segmentSize: UInt64) -> String {
        let segment = value / segmentSize
        let segmentsPerId = 0x1_0000_0000 / segmentSize
        return hex8(UInt64(timeline)) + hex8(segment / segmentsPerId) + hex8(segment % segmentsPerId)
    }

    /// Every segment file from this position's through `end`'s, in order.
    public func walFileNames(through end: LSN, timeline: UInt32, segmentSize: UInt64) -> [String] {
        let first = value / segmentSize, last = end.value / segmentSize
        guard first <= last else { return [] }
        return (first...last).map { LSN($0 * segmentSize).walFileName(timeline: timeline, segmentSize: segmentSize) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = LSN(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
        }
        self = parsed
    }
}

private func hex8(_ value: UInt64) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

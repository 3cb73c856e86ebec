#if canImport(Glibc)
    import Glibc
#endif

/// A block device's `major:minor`, the key that joins stat(2), mountinfo, device-mapper and LVM.
public struct DeviceNumber: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    /// Splits a `dev_t` as the kernel's `MAJOR()`/`MINOR()` macros do.
    public init(_ device: UInt64) {
        major = UInt32(((device >> 32) & 0xffff_f000) | ((device >> 8) & 0x0000_0fff))
        minor = UInt32(((device >> 12) & 0xffff_ff00) | (device & 0x0000_00ff))
    }

    /// Parses `253:3`.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    public var description: String { "\(major):\(minor)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = DeviceNumber(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
        }
        self = parsed
    }
}

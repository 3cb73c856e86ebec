/// The 48 bytes every archived file starts with, before its zstd frame: a magic, the original
/// length and the SHA-256 of the original bytes. The checksum decides "same content already
/// archived" without decompressing, and archive-get and verify check what they decompress
/// against it (zstd's own frame checksum covers only the compressed stream's integrity).
public struct StoredWALHeader: Sendable, Equatable {
    public static let length = 48
    static let magic = Array("PGSNWAL1".utf8)

    public var originalLength: UInt64
    public var sha256: [UInt8]

    public init(originalLength: UInt64, sha256: [UInt8]) {
        self.originalLength = originalLength
        self.sha256 = sha256
    }

    /// Parses the header, nil when the bytes are not one (another file, truncated, zeroed).
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= Self.length, Array(bytes[0..<8]) == Self.magic else { return nil }
        originalLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[8 + $1]) << (8 * UInt64($1)) }
        sha256 = Array(bytes[16..<48])
    }

    public var bytes: [UInt8] {
        Self.magic + (0..<8).map { UInt8(truncatingIfNeeded: originalLength >> (8 * UInt64($0))) } + sha256
    }
}

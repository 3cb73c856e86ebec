internal import CChecksums

/// CRC-32C exactly as PostgreSQL's `pg_crc32c` computes it, the default checksum of a
/// `backup_manifest` entry.
///
/// The arithmetic lives in C (SSE4.2 when the CPU has it, slice-by-8 otherwise) because it runs
/// over every byte of the backup and must not be the bottleneck.
public struct CRC32C: Sendable, Equatable {
    /// The running value, before the final xor.
    private var running: UInt32 = 0xFFFF_FFFF

    public init() {}

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        running = pgsnap_crc32c_update(running, base, buffer.count)
    }

    /// The checksum of everything passed to `update`.
    public var value: UInt32 { running ^ 0xFFFF_FFFF }

    /// The checksum as `backup_manifest` writes it: the hex of the four bytes of the `uint32` in
    /// memory order, which on the little-endian machines pgsnap runs on is least significant
    /// byte first (`pg_checksum_final` copies the integer, then hex-encodes the bytes).
    public func finalize() -> String {
        let little = value.littleEndian
        return Hex.encode(withUnsafeBytes(of: little) { Array($0) })
    }

    /// Whether this CPU computes CRC-32C with the SSE4.2 instruction.
    public static var usesHardware: Bool { pgsnap_crc32c_hardware_available() != 0 }

    /// The table-driven result for `buffer`, whatever the CPU offers; lets tests compare paths.
    static func softwareValue(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = buffer.baseAddress else { return 0 }
        return pgsnap_crc32c_update_software(0xFFFF_FFFF, base, buffer.count) ^ 0xFFFF_FFFF
    }

    /// The SSE4.2 result for `buffer` (the software one on CPUs without it).
    static func hardwareValue(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = buffer.baseAddress else { return 0 }
        return pgsnap_crc32c_update_hardware(0xFFFF_FFFF, base, buffer.count) ^ 0xFFFF_FFFF
    }
}

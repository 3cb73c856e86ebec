internal import CChecksums

/// SHA-256, for `backup_manifest`'s own `Manifest-Checksum` and for per-file checksums when an
/// administrator asks for a cryptographic one.
public struct SHA256: Sendable {
    private var context = pgsnap_sha256_context()

    public init() {
        pgsnap_sha256_init(&context)
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        pgsnap_sha256_update(&context, base, buffer.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest of everything passed to `update`. The value itself is not consumed:
    /// finishing works on a copy, so `finalize` can be called again.
    public func digest() -> [UInt8] {
        var copy = context
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            pgsnap_sha256_final(&copy, base)
        }
        return digest
    }

    /// The digest as lowercase hex, the way `backup_manifest` writes it.
    public func finalize() -> String {
        Hex.encode(digest())
    }
}

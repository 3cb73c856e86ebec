/// The running checksum of one file in whichever algorithm the manifest uses, so the archiver
/// can feed every buffer it reads without caring which one was chosen.
public struct FileChecksum: Sendable {
    private enum State: Sendable {
        case none
        case crc32c(CRC32C)
        case sha256(SHA256)
    }

    public let algorithm: ChecksumAlgorithm
    private var state: State

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .none: state = .none
        case .crc32c: state = .crc32c(CRC32C())
        case .sha256: state = .sha256(SHA256())
        }
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        switch state {
        case .none:
            return
        case .crc32c(var crc):
            crc.update(buffer)
            state = .crc32c(crc)
        case .sha256(var sha):
            sha.update(buffer)
            state = .sha256(sha)
        }
    }

    /// The hex checksum, or nil for `.none`.
    public func finalize() -> String? {
        switch state {
        case .none: return nil
        case .crc32c(let crc): return crc.finalize()
        case .sha256(let sha): return sha.finalize()
        }
    }
}

internal import Archive
public import PostgresFormat

/// The manifest's files by path, for the per-member lookups of restore and verify.
public struct ManifestIndex: Sendable {
    public let records: [RawPath: ManifestFileRecord]

    public init(_ manifest: BackupManifest) {
        var records: [RawPath: ManifestFileRecord] = [:]
        for record in manifest.files { records[record.path] = record }
        self.records = records
    }

    public subscript(path: RawPath) -> ManifestFileRecord? { records[path] }

    /// Compares what an archive held with what the manifest promised; nil when they agree.
    public static func mismatch(_ record: ManifestFileRecord, size: UInt64, checksum: String?) -> String? {
        if size != record.size {
            return "is \(size) bytes, the manifest says \(record.size)"
        }
        if let expected = record.checksum, record.checksumAlgorithm != .none, let checksum, checksum != expected {
            return "has \(record.checksumAlgorithm.rawValue) checksum \(checksum), the manifest says \(expected)"
        }
        return nil
    }
}

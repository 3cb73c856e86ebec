/// One thing wrong with a stored backup. `verify` collects all of them instead of stopping at
/// the first, so one run tells a DBA everything a restore would trip over.
public struct VerifyProblem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case manifestMissing = "manifest_missing"
        case manifestChecksum = "manifest_checksum"
        case manifestInvalid = "manifest_invalid"
        case archiveMissing = "archive_missing"
        case archiveTruncated = "archive_truncated"
        case archiveCorrupt = "archive_corrupt"
        case fileMissing = "file_missing"
        case fileUnexpected = "file_unexpected"
        case fileSize = "file_size"
        case fileChecksum = "file_checksum"
        case memberUnsafe = "member_unsafe"
        case walMissing = "wal_missing"
        case walInvalid = "wal_invalid"
        case recordInvalid = "record_invalid"
    }

    public var kind: Kind
    public var archive: String?
    public var path: String?
    public var message: String

    public init(kind: Kind, archive: String? = nil, path: String? = nil, message: String) {
        self.kind = kind
        self.archive = archive
        self.path = path
        self.message = message
    }
}

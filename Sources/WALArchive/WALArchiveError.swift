public import ExitStatus

/// Why `archive-push` or `archive-get` failed. PostgreSQL logs the one line and retries, so the
/// line says which file and what to do.
public struct WALArchiveError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// archive-get: the archive has no such file. Normal at the end of the archive, so the
        /// command says nothing (exit 15).
        case notFound = "not_found"
        /// A different file is already archived under the name: never replaced (exit 14).
        case conflict
        /// The file is not this cluster's WAL, or not WAL at all: another cluster's system
        /// identifier, a page address or timeline its name contradicts, a malformed name (exit 14).
        case refused
        /// The WAL file PostgreSQL passed cannot be read (exit 3: archive_command's %p is wrong).
        case source
        /// The archive directory is missing, not the cluster user's, open to others, or the
        /// target is not bound to a cluster yet (exit 6).
        case unusable
        /// Writing or syncing the archive failed: full file system, I/O error (exit 6).
        case write
        /// An archived file does not decompress or its checksum is wrong (exit 9).
        case damaged
        /// archive-get could not write the file PostgreSQL asked for (exit 10).
        case destination
    }

    public let code: Code
    public let detail: String
    public let underlying: String?

    public init(code: Code, detail: String, underlying: String? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .notFound: return .walNotArchived
        case .conflict, .refused: return .walConflict
        case .source: return .configuration
        case .unusable, .write: return .target
        case .damaged: return .damaged
        case .destination: return .restoreDestination
        }
    }

    public var hint: String {
        switch code {
        case .notFound: return ""
        case .conflict:
            return "the archived file was kept; find out why this server produced other WAL under the same name"
        case .refused: return "each cluster needs a target of its own (docs/wal-archive.md)"
        case .source: return "archive_command must pass %p, run in the data directory as PostgreSQL does"
        case .unusable: return "set the archive up as docs/wal-archive.md says"
        case .write: return "free space in the target; PostgreSQL keeps the WAL and retries"
        case .damaged: return "run 'pgsnap verify --wal'; the archived copy cannot be used"
        case .destination: return "check the permissions of the server's pg_wal"
        }
    }

    public var errorCode: ErrorCode { ErrorCode("wal", caseName: code.rawValue) }
}

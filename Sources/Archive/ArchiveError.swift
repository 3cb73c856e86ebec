public import ExitStatus

/// A failure reading cluster files or writing an archive, carrying `strerror` text.
public struct ArchiveError: PgsnapError, Equatable {
    public enum Code: String, Sendable {
        /// A file or directory of the cluster could not be read.
        case readFailed = "read_failed"
        /// The archive could not be written (often: the target filesystem is full).
        case writeFailed = "write_failed"
        /// A path or link target cannot be represented in a tar header.
        case unrepresentable
        /// libzstd refused to compress (a bug or memory exhaustion, not bad input).
        case compressionFailed = "compression_failed"
        /// The caller asked the archiver to stop (a signal arrived).
        case interrupted
    }

    public let code: Code
    public let path: String
    public let reason: String

    public init(code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .writeFailed: return .target
        case .interrupted: return .interrupted
        case .readFailed, .unrepresentable, .compressionFailed: return .internalError
        }
    }

    public var message: String {
        switch code {
        case .readFailed: return "cannot read \(path): \(reason)"
        case .writeFailed: return "cannot write \(path): \(reason)"
        case .unrepresentable: return "cannot archive \(path): \(reason)"
        case .compressionFailed: return "cannot compress \(path): \(reason)"
        case .interrupted: return "stopped archiving \(path): \(reason)"
        }
    }

    public var hint: String {
        switch code {
        case .writeFailed: return "check the target's free space and permissions"
        case .interrupted: return "the partial archive was removed"
        case .readFailed, .unrepresentable, .compressionFailed: return ""
        }
    }
}

extension ArchiveError {
    /// `archive.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("archive", caseName: code.rawValue) }
}

public import ExitStatus

/// Why a stored backup could not be opened or read: what restore refuses and verify reports,
/// the same for both. Restore wraps it into its own `RestoreError` with the same code.
public struct LayoutError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// No complete backup with that ID in the target, or its directory has no record.
        case notFound = "not_found"
        /// backup.json, backup_manifest or the archives they name are damaged or contradict
        /// each other.
        case damaged
        /// The backup target cannot be read.
        case target
        /// A file or directory of the target could not be written or synced.
        case write
    }

    public let code: Code
    public let detail: String
    public let underlying: String?
    /// What to do, when the module that found the problem knows better than the code's hint
    /// (a catalog refusal carries the catalog's own).
    public let specificHint: String?

    public init(code: Code, detail: String, underlying: String? = nil, hint: String? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
        specificHint = hint
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .notFound, .damaged: return .damaged
        case .target, .write: return .target
        }
    }

    public var hint: String {
        if let specificHint { return specificHint }
        switch code {
        case .notFound: return "run 'pgsnap list' to see the backups in the target"
        case .damaged: return "run 'pgsnap verify' on it and use another backup"
        case .target: return "check the target's path and permissions"
        case .write: return "check the target's free space and permissions"
        }
    }
}

extension LayoutError {
    /// `layout.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("layout", caseName: code.rawValue) }
}

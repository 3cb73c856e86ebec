public import ExitStatus

/// Why a restore (or opening a stored backup) stopped. Each carries the path or member it is
/// about and, where the kernel or a library said why, its words.
public struct RestoreError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// No complete backup with that ID in the target.
        case notFound = "not_found"
        /// An archive, the manifest or backup.json is missing, truncated, corrupt or does not
        /// match the manifest.
        case damaged
        /// An archive member would write outside the restore's directories, or is of a kind a
        /// pgsnap backup never holds.
        case hostile
        /// The destination is not empty or cannot be written.
        case destination
        /// `--owner` names no user of this machine: the destination could not be given to it.
        case unknownOwner = "unknown_owner"
        /// A running PostgreSQL server uses the destination (its data directory, a tablespace
        /// or its pg_wal): refused whatever `--overwrite` says.
        case inUse = "in_use"
        /// Contradictory or malformed restore options.
        case invalidOption = "invalid_option"
        /// A signal stopped the restore.
        case interrupted
        /// The backup target cannot be read.
        case target
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
        case .notFound, .damaged, .hostile: return .damaged
        case .destination, .unknownOwner, .inUse: return .restoreDestination
        case .invalidOption: return .usage
        case .interrupted: return .interrupted
        case .target: return .target
        }
    }

    public var hint: String {
        if let specificHint { return specificHint }
        switch code {
        case .notFound: return "run 'pgsnap list' to see the backups in the target"
        case .damaged: return "run 'pgsnap verify' on it and restore another backup; what was written was removed"
        case .hostile:
            return
                "this archive is not one pgsnap wrote; nothing was written outside the destination and what was written was removed"
        case .unknownOwner: return "create the user first, or pass --owner with an existing user name or a numeric uid"
        case .destination: return "choose another directory, or fix the one named (permissions, free space)"
        case .inUse: return "stop that server first, or restore elsewhere (--pgdata, --tablespace NAME=DIR, --waldir)"
        case .invalidOption: return "see 'pgsnap restore --help'"
        case .interrupted: return "what was written was removed; run the restore again"
        case .target: return "check the target's path and permissions"
        }
    }
}

extension RestoreError {
    /// `restore.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("restore", caseName: code.rawValue) }
}

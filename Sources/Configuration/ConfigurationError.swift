public import ExitStatus

/// Why the configuration could not be used. Each case names the file, line and key involved
/// so an admin can go straight to the mistake.
public enum ConfigurationError: PgsnapError, Equatable {
    /// The file named by `--config` (or the default path, when required) does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read; carries `strerror` text.
    case unreadable(path: String, reason: String)
    /// The path names a directory or another kind of file, not a configuration file.
    case notAFile(path: String)
    /// A line is not `key = value`.
    case syntax(path: String, line: Int, detail: String)
    /// A key pgsnap does not know (often a typo).
    case unknownKey(origin: SettingOrigin, key: String, suggestion: String?)
    /// The same key appears twice in one file.
    case duplicateKey(path: String, line: Int, key: String, firstLine: Int)
    /// A value of the wrong type or outside its range.
    case invalidValue(origin: SettingOrigin, key: String, value: String, expected: String)
    /// A password was given on the command line, where `ps` shows it to every user.
    case passwordInArguments
    /// A password is in a configuration file that other users can read.
    case passwordInReadableFile(path: String, mode: String)
    /// A setting the command needs has no value.
    case missing(key: String, flag: String)

    /// One rule (docs/exit-codes.md): a value given on the command line that pgsnap cannot use
    /// is a usage error, exactly like a flag the argument parser rejects; everything about the
    /// configuration file, and a setting missing from both, is a configuration error.
    public var exitStatus: ExitStatus {
        switch self {
        case .invalidValue(.flag, _, _, _), .unknownKey(.flag, _, _): return .usage
        default: return .configuration
        }
    }

    public var message: String {
        switch self {
        case .fileNotFound(let path):
            return "configuration file \(path) does not exist"
        case .unreadable(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        case .notAFile(let path):
            return "configuration file \(path) is a directory or a special file, not a regular file"
        case .syntax(let path, let line, let detail):
            return "\(path):\(line): syntax error: \(detail)"
        case .unknownKey(let origin, let key, _):
            return "\(origin): unknown setting '\(Echo.value(key))'"
        case .duplicateKey(let path, let line, let key, let firstLine):
            return "\(path):\(line): '\(key)' is already set on line \(firstLine)"
        case .invalidValue(let origin, let key, let value, let expected):
            return "\(origin): invalid value '\(Echo.value(value))' for '\(key)': expected \(expected)"
        case .passwordInArguments:
            return "--conninfo contains a password, which any user can read from the process list"
        case .passwordInReadableFile(let path, let mode):
            return "\(path) contains a password but has mode \(mode), readable by other users"
        case .missing(let key, let flag):
            return "no value for '\(key)'"
                + (flag.isEmpty ? "" : " (set it in the configuration file or with \(flag))")
        }
    }

    public var hint: String {
        switch self {
        case .fileNotFound:
            return "create it (see docs/configuration.md) or pass --config FILE"
        case .unreadable:
            return "check the file's permissions"
        case .notAFile:
            return "name the file itself, e.g. --config /etc/pgsnap/pgsnap.conf"
        case .syntax:
            return "each line is 'key = value'; quote values with spaces in single quotes"
        case .unknownKey(_, _, let suggestion):
            return suggestion.map { "did you mean '\($0)'?" } ?? "docs/configuration.md lists every key"
        case .duplicateKey:
            return "remove one of the two lines"
        case .invalidValue:
            return "docs/configuration.md describes every key's values"
        case .passwordInArguments:
            return "put the password in ~/.pgpass, PGPASSFILE or a pg_service.conf instead"
        case .passwordInReadableFile(let path, _):
            return "run 'chmod 600 \(path)' or move the password to ~/.pgpass"
        case .missing:
            return "docs/configuration.md describes it"
        }
    }
}

extension ConfigurationError {
    /// `configuration.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode {
        switch self {
        case .fileNotFound: ErrorCode("configuration", "file_not_found")
        case .unreadable: ErrorCode("configuration", "unreadable")
        case .notAFile: ErrorCode("configuration", "not_a_file")
        case .syntax: ErrorCode("configuration", "syntax")
        case .unknownKey: ErrorCode("configuration", "unknown_key")
        case .duplicateKey: ErrorCode("configuration", "duplicate_key")
        case .invalidValue: ErrorCode("configuration", "invalid_value")
        case .passwordInArguments: ErrorCode("configuration", "password_in_arguments")
        case .passwordInReadableFile: ErrorCode("configuration", "password_in_readable_file")
        case .missing: ErrorCode("configuration", "missing")
        }
    }
}

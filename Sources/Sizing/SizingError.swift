public import ExitStatus

/// Why `pgsnap estimate` could not finish.
public struct SizingError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// Creating, reading or removing a probe snapshot failed.
        case probeFailed = "probe_failed"
        /// A signal ended the sample (the probes were removed).
        case interrupted
    }

    public var code: Code
    public var detail: String
    public var underlying: String?

    public init(code: Code, detail: String, underlying: String? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .probeFailed: return .storage
        case .interrupted: return .interrupted
        }
    }

    public var hint: String {
        switch code {
        case .probeFailed:
            return "run 'lvs' to see what LVM reports; 'pgsnap cleanup' removes a probe left behind"
        case .interrupted: return ""
        }
    }

    /// `sizing.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("sizing", caseName: code.rawValue) }

    static func interrupted(_ signal: Int32) -> SizingError {
        SizingError(code: .interrupted, detail: "signal \(signal) ended the sample; the probe snapshots were removed")
    }
}

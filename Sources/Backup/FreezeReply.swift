import ExitStatus
public import Foundation

/// What the freeze holder answers: on its startup pipe once backup mode is active (or the
/// freeze failed), and on its socket to `status` and `thaw`. One JSON line, shaped like the
/// JSON errors (`ok`, `code`, `error`, `hint`, `exit_status`) when it reports a failure.
public struct FreezeReply: Codable, Sendable, Equatable {
    public var ok: Bool
    public var id: String?
    public var startLSN: String?
    public var stopLSN: String?
    /// When backup mode began.
    public var since: Date?
    /// Seconds until the watchdog ends the freeze.
    public var secondsLeft: Double?
    public var timeoutSeconds: Int?
    /// The holder process.
    public var pid: Int32?
    /// Seconds PostgreSQL was in backup mode, from freeze to thaw.
    public var windowSeconds: Double?
    /// The committed record's directory, after thaw.
    public var directory: String?
    public var snapshotName: String?
    /// What `snapshot-exec` passes its command: the data directory, the tablespaces'
    /// locations and the mount sources of the file systems holding the cluster.
    public var dataDirectory: String?
    public var tablespaces: [String]?
    public var volumes: [String]?
    public var code: String?
    public var error: String?
    public var hint: String?
    public var exitStatus: Int32?

    /// The longest reply line a command reads.
    public static let maximumBytes = 65536

    public init(ok: Bool) {
        self.ok = ok
    }

    /// A failure, as the command line would have reported it in the holder.
    public init(failure error: any Error, signal: Int32?) {
        self.init(ok: false)
        if let signal {
            let interrupted = BackupError(code: .interrupted, detail: "interrupted by signal \(signal)")
            self.init(failure: interrupted as any PgsnapError)
        } else if let error = error as? any PgsnapError {
            self.init(failure: error)
        } else {
            self.init(
                failure: FreezeError(code: .holderFailed, detail: "the freeze holder failed: \(error)")
                    as any PgsnapError)
        }
    }

    private init(failure error: any PgsnapError) {
        self.init(ok: false)
        code = error.errorCode.description
        self.error = error.message
        hint = error.hint
        exitStatus = error.exitStatus.rawValue
    }

    enum CodingKeys: String, CodingKey {
        case ok, id
        case startLSN = "start_lsn"
        case stopLSN = "stop_lsn"
        case since
        case secondsLeft = "seconds_left"
        case timeoutSeconds = "timeout_seconds"
        case pid
        case windowSeconds = "window_seconds"
        case directory
        case snapshotName = "snapshot_name"
        case dataDirectory = "data_directory"
        case tablespaces, volumes
        case code, error, hint
        case exitStatus = "exit_status"
    }

    /// One JSON line.
    public func encoded() -> Data {
        ((try? Self.encoder().encode(self)) ?? Data()) + Data("\n".utf8)
    }

    /// The reply in `line`, or nil when it is not one.
    public static func decode(_ line: Data) -> FreezeReply? {
        guard line.count <= maximumBytes else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(FreezeReply.self, from: line)
    }

    /// Sorted keys and ISO-8601 times, on one line (`--json` prints it pretty).
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The failure the holder reported, as an error of this process.
    public var failure: HolderFailure? {
        guard !ok else { return nil }
        return HolderFailure(
            message: error ?? "the freeze holder failed without saying why", hint: hint ?? "",
            exitStatus: exitStatus.flatMap(ExitStatus.init(rawValue:)) ?? .internalError,
            errorCode: code ?? "freeze.holder_failed")
    }
}

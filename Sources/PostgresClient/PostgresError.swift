public import ExitStatus

/// A failure talking to PostgreSQL, carrying libpq's message and, for SQL errors, the SQLSTATE.
public struct PostgresError: PgsnapError, Equatable {
    /// Broad kind of failure; grows without breaking callers that switch with a default.
    public enum Code: String, Sendable {
        /// The server could not be reached, or it refused the login.
        case connectionFailed
        /// The login was refused for bad credentials (SQLSTATE 28P01 / 28000).
        case authenticationFailed
        /// A statement failed on the server.
        case queryFailed
        /// The connection broke while in use.
        case connectionLost
        /// The server answered with something pgsnap did not expect.
        case unexpectedResult
        /// pgsnap was asked to stop (a signal) and cancelled the statement.
        case cancelled
        /// The statement outlived its time limit and was cancelled.
        case timedOut
    }

    public let code: Code
    /// libpq's own message, one line.
    public let libpqMessage: String
    /// Five-character SQLSTATE when the server sent one.
    public let sqlState: String?
    /// The statement that failed, when there was one (never contains secrets).
    public let statement: String?

    public init(code: Code, libpqMessage: String, sqlState: String? = nil, statement: String? = nil) {
        self.code = code
        self.libpqMessage = libpqMessage
        self.sqlState = sqlState
        self.statement = statement
    }

    public var exitStatus: ExitStatus { code == .cancelled ? .interrupted : .postgres }

    public var message: String {
        let state = sqlState.map { " [SQLSTATE \($0)]" } ?? ""
        switch code {
        case .connectionFailed: return "cannot connect to PostgreSQL: \(libpqMessage)"
        case .authenticationFailed: return "PostgreSQL refused the login: \(libpqMessage)\(state)"
        case .queryFailed: return "PostgreSQL error: \(libpqMessage)\(state)"
        case .connectionLost: return "lost the connection to PostgreSQL: \(libpqMessage)"
        case .unexpectedResult: return "unexpected answer from PostgreSQL: \(libpqMessage)"
        case .cancelled: return "cancelled a PostgreSQL statement on request: \(libpqMessage)"
        case .timedOut: return "PostgreSQL did not finish in time: \(libpqMessage)"
        }
    }

    public var hint: String {
        switch code {
        case .connectionFailed where libpqMessage.contains("role \"") && libpqMessage.contains("does not exist"):
            return
                "the server runs but has no such role: create it (docs/configuration.md lists the privileges) or fix user= in conninfo"
        case .connectionFailed where libpqMessage.contains("database \"") && libpqMessage.contains("does not exist"):
            return "the server runs but has no such database: fix dbname= in conninfo (postgres always exists)"
        case .connectionFailed:
            return "check that the server runs and that --conninfo (host, port, socket directory) points at it"
        case .authenticationFailed: return "check the user, ~/.pgpass and pg_hba.conf"
        case .queryFailed where sqlState == "42501":
            return "grant the role the privileges listed in docs/configuration.md"
        case .queryFailed, .unexpectedResult: return ""
        case .connectionLost: return "check the server log; the run was abandoned"
        case .cancelled: return "the run was torn down"
        case .timedOut: return "check the server log for what it waited on"
        }
    }
}

extension PostgresError {
    /// `postgres.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("postgres", caseName: code.rawValue) }
}

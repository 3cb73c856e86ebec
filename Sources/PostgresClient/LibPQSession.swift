internal import CLibPQ
import Foundation

/// A `PostgresSession` over a libpq connection it owns: connected in `init`, finished in `close`
/// or `deinit`.
///
/// Passwords come only from libpq's own sources (.pgpass, PGPASSFILE, pg_service.conf), so
/// pgsnap never holds one in its arguments or logs.
public final class LibPQSession: PostgresSession {
    private var connection: OpaquePointer?
    public let serverVersionNumber: Int

    /// Connects with `conninfo` (a libpq connection string or URI; empty for libpq defaults).
    public init(conninfo: String, applicationName: String = "pgsnap") throws(PostgresError) {
        // Keepalive defaults come first so that the caller's conninfo, expanded from dbname,
        // overrides them: libpq keeps the last value of a repeated keyword. They detect a dead
        // TCP peer during a long backup window; Unix sockets ignore them.
        let keywords = ["keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname",
                        "fallback_application_name"]
        let values = ["1", "30", "10", "6", conninfo, applicationName]
        let connection = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, libpqMessage: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let text = Self.oneLine(PQerrorMessage(connection))
            PQfinish(connection)
            let authentication = text.contains("authentication failed") || text.contains("no password supplied")
                || text.contains("no pg_hba.conf entry")
            throw PostgresError(code: authentication ? .authenticationFailed : .connectionFailed, libpqMessage: text)
        }
        self.connection = connection
        self.serverVersionNumber = Int(PQserverVersion(connection))
    }

    deinit { close() }

    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    /// Whether the server has sent something on an idle session, which for pgsnap's backup
    /// session only happens when the server ends it (shutdown, crash, pg_terminate_backend).
    /// Looks at the socket without reading, so it is safe from a watching thread while the
    /// session is idle.
    public var serverClosedConnection: Bool {
        guard let connection else { return true }
        let socket = PQsocket(connection)
        guard socket >= 0 else { return true }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents != 0
    }

    /// Whether this session runs over TCP (keepalives matter) rather than a Unix socket.
    public var isTCP: Bool {
        guard let connection, let host = PQhost(connection) else { return false }
        return !String(cString: host).hasPrefix("/")
    }

    public func query(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> QueryResult {
        guard let connection else {
            throw PostgresError(code: .connectionLost, libpqMessage: "session already closed", statement: sql)
        }
        let result = Self.withOptionalCStrings(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return Self.rows(of: result)
        default:
            let text = result.map { Self.oneLine(PQresultErrorMessage($0)) } ?? Self.oneLine(PQerrorMessage(connection))
            let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
            let lost = PQstatus(connection) != CONNECTION_OK
            throw PostgresError(code: lost ? .connectionLost : .queryFailed, libpqMessage: text, sqlState: state,
                                statement: sql)
        }
    }

    private static func rows(of result: OpaquePointer?) -> QueryResult {
        guard let result else { return QueryResult(columns: [], rows: []) }
        let columnCount = PQnfields(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let rows = (0..<PQntuples(result)).map { row in
            (0..<columnCount).map { column -> String? in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
        return QueryResult(columns: columns, rows: rows)
    }

    private static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        withOptionalCStrings(strings) { pointers in body(pointers + [nil]) }
    }

    private static func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

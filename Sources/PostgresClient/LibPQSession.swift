internal import CLibPQ
import Foundation

/// A `PostgresSession` over a libpq connection it owns: connected in `init`, finished in `close`
/// or `deinit`.
///
/// Passwords come only from libpq's own sources (.pgpass, PGPASSFILE, pg_service.conf), so
/// pgsnap never holds one in its arguments or logs.
///
/// Statements are sent with libpq's asynchronous API and waited for in steps of a tenth of a
/// second, because the server can wait for minutes inside one (a spread checkpoint in
/// `pg_backup_start`, WAL archiving in `pg_backup_stop`) and a signal must still end the run
/// within seconds. The server's notices go to `SessionOptions.serverMessages`, never to stderr.
public final class LibPQSession: PostgresSession {
    private var connection: OpaquePointer?
    public let serverVersionNumber: Int
    private let options: SessionOptions
    /// The server's notices, from connection startup on (see `NoticeCollector`). Held for the
    /// session's life, which covers the connection's: libpq may call into it until `PQfinish`.
    private let notices: NoticeCollector

    /// Connects with `conninfo` (a libpq connection string or URI; empty for libpq defaults).
    /// Notices the server sent while connecting are handed on, marked `duringConnection`.
    public init(conninfo: String, options: SessionOptions = SessionOptions()) throws(PostgresError) {
        let notices = NoticeCollector()
        let connection: OpaquePointer
        do {
            connection = try Self.connect(conninfo, options: options, notices: notices)
        } catch {
            for notice in notices.take() { options.serverMessages?(notice.markedDuringConnection()) }
            throw error
        }
        for notice in notices.take() { options.serverMessages?(notice.markedDuringConnection()) }
        self.notices = notices
        self.connection = connection
        self.serverVersionNumber = Int(PQserverVersion(connection))
        self.options = options
    }

    /// Starts the connection with `notices` as its receiver before libpq reads a byte from the
    /// server, and waits for it. On failure the connection is already finished (while `notices`,
    /// a parameter, is still alive).
    private static func connect(_ conninfo: String, options: SessionOptions, notices: NoticeCollector)
        throws(PostgresError) -> OpaquePointer
    {
        // Keepalive defaults come first so that the caller's conninfo, expanded from dbname,
        // overrides them: libpq keeps the last value of a repeated keyword. They detect a dead
        // TCP peer during a long backup window; Unix sockets ignore them.
        let keywords = [
            "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname",
            "fallback_application_name",
        ]
        let values = ["1", "30", "10", "6", conninfo, options.applicationName]
        let started = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in
                PQconnectStartParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let connection = started else {
            throw PostgresError(code: .connectionFailed, libpqMessage: "libpq could not allocate a connection")
        }
        notices.install(on: connection)
        if let failure = Self.awaitConnection(connection, shouldStop: options.shouldStop) {
            PQfinish(connection)
            throw failure
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let text = Self.oneLine(PQerrorMessage(connection))
            PQfinish(connection)
            let authentication =
                text.contains("authentication failed") || text.contains("no password supplied")
                || text.contains("no pg_hba.conf entry")
            throw PostgresError(code: authentication ? .authenticationFailed : .connectionFailed, libpqMessage: text)
        }
        return connection
    }

    deinit { close() }

    /// Drives libpq's non-blocking connection to its end in steps of a tenth of a second, so
    /// a signal also ends a connection attempt that hangs (a server that accepts but never
    /// answers, an unreachable host). `connect_timeout`, which libpq only enforces in its
    /// blocking call, is applied per host as libpq does: the clock restarts with each new socket.
    /// Returns the error that ended the wait early, or nil when libpq has finished (either way).
    private static func awaitConnection(_ connection: OpaquePointer, shouldStop: (@Sendable () -> Bool)?)
        -> PostgresError?
    {
        let timeout = connectTimeout(connection)
        var state = PGRES_POLLING_WRITING
        var socket = PQsocket(connection)
        var deadline = timeout.map { ContinuousClock().now + .milliseconds(Int64($0 * 1000)) }
        while state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED && PQstatus(connection) != CONNECTION_BAD {
            if shouldStop?() == true {
                return PostgresError(code: .cancelled, libpqMessage: "pgsnap was asked to stop while connecting")
            }
            if let deadline, ContinuousClock().now >= deadline {
                return PostgresError(code: .connectionFailed, libpqMessage: "timeout expired after connect_timeout")
            }
            let events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT
            var descriptor = pollfd(fd: socket, events: Int16(events), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            state = PQconnectPoll(connection)
            if PQsocket(connection) != socket {
                socket = PQsocket(connection)
                deadline = timeout.map { ContinuousClock().now + .milliseconds(Int64($0 * 1000)) }
            }
        }
        return nil
    }

    /// libpq's `connect_timeout` in seconds (at least 2, as libpq rounds it), or nil for none.
    private static func connectTimeout(_ connection: OpaquePointer) -> Double? {
        guard let options = PQconninfo(connection) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "connect_timeout", let value = option.pointee.val,
                let seconds = Double(String(cString: value)), seconds > 0
            {
                return max(seconds, 2)
            }
            option += 1
        }
        return nil
    }

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
        try query(sql, parameters, limit: .standard)
    }

    public func query(_ sql: String, _ parameters: [String?], limit: QueryLimit) throws(PostgresError) -> QueryResult {
        guard let connection else {
            throw PostgresError(code: .connectionLost, libpqMessage: "session already closed", statement: sql)
        }
        if limit.interruptible, options.shouldStop?() == true {
            throw PostgresError(code: .cancelled, libpqMessage: "pgsnap was asked to stop", statement: sql)
        }
        _ = notices.take()
        let sent = Self.withOptionalCStrings(parameters) { values in
            PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { return try deliver(.failure(error(connection, sql: sql))) }
        let clock = ContinuousClock()
        let deadline = limit.timeout.map { clock.now + .milliseconds(Int64($0 * 1000)) }
        switch awaitInput(connection, until: deadline, interruptible: limit.interruptible) {
        case .ready:
            return try deliver(collectResults(connection, sql: sql))
        case .stopRequested:
            return try deliver(
                .failure(cancel(connection, sql: sql, code: .cancelled, reason: "pgsnap was asked to stop")))
        case .deadlinePassed:
            let seconds = limit.timeout.map { String(format: "%g", $0) } ?? "?"
            return try deliver(
                .failure(
                    cancel(
                        connection, sql: sql, code: .timedOut,
                        reason: "cancelled after \(seconds) s")))
        }
    }

    // MARK: - Waiting, cancelling, results

    private enum Wait { case ready, stopRequested, deadlinePassed }

    /// Waits until libpq can hand over a result without blocking.
    private func awaitInput(
        _ connection: OpaquePointer, until deadline: ContinuousClock.Instant?,
        interruptible: Bool
    ) -> Wait {
        while PQisBusy(connection) == 1 {
            if interruptible, options.shouldStop?() == true { return .stopRequested }
            if let deadline, ContinuousClock().now >= deadline { return .deadlinePassed }
            var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
            // EINTR (a signal) only means the next round comes sooner.
            _ = poll(&descriptor, 1, 100)
            // A broken connection: PQgetResult then returns the error without waiting.
            if PQconsumeInput(connection) == 0 { return .ready }
        }
        return .ready
    }

    /// Every result of the statement, up to libpq's end marker; the first one decides.
    private func collectResults(_ connection: OpaquePointer, sql: String) -> Result<QueryResult, PostgresError> {
        var outcome: Result<QueryResult, PostgresError>?
        let deadline = ContinuousClock().now + .seconds(5)
        while true {
            guard awaitInput(connection, until: deadline, interruptible: false) == .ready else {
                close()
                return .failure(
                    PostgresError(
                        code: .connectionLost, libpqMessage: "the server stopped answering",
                        statement: sql))
            }
            guard let result = PQgetResult(connection) else { break }
            if outcome == nil { outcome = convert(result, connection, sql: sql) }
            PQclear(result)
        }
        return outcome ?? .failure(error(connection, sql: sql))
    }

    /// Asks the server to cancel the running statement, then reads its answer so the session
    /// is idle again for teardown (`pg_backup_stop` without waiting). A session that does not
    /// come back within seconds, or whose cancel request gets no answer within
    /// `cancelRequestBound` (a network partition), is closed: the server then ends backup mode
    /// itself when it notices.
    private func cancel(_ connection: OpaquePointer, sql: String, code: PostgresError.Code, reason: String)
        -> PostgresError
    {
        let request = CancelRequest.send(for: connection, within: Self.cancelRequestBound)
        var serverSaid: String?
        var usable = false
        if request == .sent {
            let deadline = ContinuousClock().now + .seconds(3)
            while awaitInput(connection, until: deadline, interruptible: false) == .ready,
                let result = PQgetResult(connection)
            {
                if serverSaid == nil, PQresultStatus(result) == PGRES_FATAL_ERROR {
                    serverSaid = Self.oneLine(PQresultErrorMessage(result))
                }
                PQclear(result)
            }
            usable =
                PQisBusy(connection) == 0 && PQstatus(connection) == CONNECTION_OK
                && PQtransactionStatus(connection) == PQTRANS_IDLE
        }
        // Nothing below touches `connection`: once closed it is finished.
        if !usable { close() }
        let detail: String
        switch request {
        case .sent: detail = serverSaid.map { "\(reason) (server: \($0))" } ?? reason
        case .failed(let why): detail = "\(reason); the cancel request failed: \(why); session closed"
        case .noAnswer:
            detail =
                "\(reason); the cancel request got no answer within "
                + String(format: "%g", Self.cancelRequestBound) + " s; session closed"
        }
        return PostgresError(code: code, libpqMessage: detail, statement: sql)
    }

    /// How long a cancel request may take before pgsnap gives up on the session, well inside
    /// the 5 s a signal may take to end a run.
    static let cancelRequestBound = 2.0

    private func convert(_ result: OpaquePointer, _ connection: OpaquePointer, sql: String)
        -> Result<QueryResult, PostgresError>
    {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return .success(Self.rows(of: result))
        default:
            let text = Self.oneLine(PQresultErrorMessage(result))
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let lost = PQstatus(connection) != CONNECTION_OK
            return .failure(
                PostgresError(
                    code: lost ? .connectionLost : .queryFailed, libpqMessage: text,
                    sqlState: state, statement: sql))
        }
    }

    private func error(_ connection: OpaquePointer, sql: String) -> PostgresError {
        let lost = PQstatus(connection) != CONNECTION_OK
        return PostgresError(
            code: lost ? .connectionLost : .queryFailed,
            libpqMessage: Self.oneLine(PQerrorMessage(connection)), statement: sql)
    }

    // MARK: - Notices

    /// Hands the statement's notices on. A failed statement's warnings explain the failure
    /// (`aborting backup due to backend exiting…`), so they go into its one line instead of
    /// before it.
    private func deliver(_ outcome: Result<QueryResult, PostgresError>) throws(PostgresError) -> QueryResult {
        let received = notices.take()
        switch outcome {
        case .success(let rows):
            for message in received { options.serverMessages?(message) }
            return rows
        case .failure(let error):
            for message in received where !message.isWarning { options.serverMessages?(message) }
            let warnings = received.filter(\.isWarning).suffix(2)
            guard !warnings.isEmpty else { throw error }
            throw PostgresError(
                code: error.code,
                libpqMessage: error.libpqMessage + " (" + warnings.map(\.description).joined(separator: "; ") + ")",
                sqlState: error.sqlState, statement: error.statement)
        }
    }

    // MARK: - Helpers

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

    static func oneLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return oneLine(String(cString: message))
    }

    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(
            separator: " ")
    }

    /// Server text is echoed to a terminal or a cron mail: no control characters, bounded length.
    static func printable(_ text: String, limit: Int) -> String {
        let cleaned = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map {
                    $0.properties.generalCategory == .control ? "?" : $0
                }))
        return cleaned.count > limit ? String(cleaned.prefix(limit)) + "…" : cleaned
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        withOptionalCStrings(strings) { pointers in body(pointers + [nil]) }
    }

    private static func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } })
    }
}

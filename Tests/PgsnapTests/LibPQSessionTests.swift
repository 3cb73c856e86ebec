import Foundation
import Testing

@testable import PostgresClient

/// libpq against real servers. Serialized: each test starts its own cluster, and two cores
/// are better spent on one at a time.
@Suite("libpq sessions on real servers", .serialized, .integration)
struct LibPQSessionTests {
    @Test(arguments: PostgresInstallation.required)
    func connectsQueriesAndReportsSQLState(major: Int) throws {
        try withCluster(major) { cluster in
            let session = try LibPQSession(conninfo: cluster.conninfo)
            defer { session.close() }
            #expect(session.serverVersionNumber / 10000 == major)
            #expect(!session.isTCP)
            let result = try session.query("SELECT $1::int + 1 AS n, NULL::text AS nothing", ["41"])
            #expect(result.columns == ["n", "nothing"])
            #expect(result.rows == [["42", nil]])
            let error = #expect(throws: PostgresError.self) { try session.query("SELECT * FROM no_such_table") }
            #expect(error?.code == .queryFailed)
            #expect(error?.sqlState == "42P01")
            #expect(error?.libpqMessage.contains("no_such_table") == true)
            let name = try session.query("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            #expect(try name.scalar() == "pgsnap")
        }
    }

    @Test func unreachableServerIsAConnectionFailure() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-nosrv-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: PostgresError.self) {
            try LibPQSession(conninfo: "host=\(directory) port=1 user=postgres connect_timeout=2")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.exitStatus == .postgres)
        #expect(error?.libpqMessage.contains(directory) == true)
    }

    @Test func wrongPasswordFromPgpassIsAnAuthenticationFailure() throws {
        try withCluster(15) { cluster in
            try cluster.psql("CREATE ROLE guarded LOGIN PASSWORD 'right-horse-battery'")
            // Password logins for this role only; the superuser keeps trust for the harness.
            let hba = cluster.dataDirectory + "/pg_hba.conf"
            let original = try String(contentsOfFile: hba, encoding: .utf8)
            try ("local all guarded scram-sha-256\n" + original).write(toFile: hba, atomically: true, encoding: .utf8)
            try cluster.psql("SELECT pg_reload_conf()")
            let passfile = cluster.root + "/pgpass"
            try "*:*:*:guarded:wrong-password\n".write(toFile: passfile, atomically: true, encoding: .utf8)
            chmod(passfile, 0o600)
            setenv("PGPASSFILE", passfile, 1)
            defer { unsetenv("PGPASSFILE") }
            let error = #expect(throws: PostgresError.self) {
                try LibPQSession(
                    conninfo: "host=\(cluster.socketDirectory) port=\(cluster.port) user=guarded dbname=postgres")
            }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.message.contains("wrong-password") == false)
            try "*:*:*:guarded:right-horse-battery\n".write(toFile: passfile, atomically: true, encoding: .utf8)
            chmod(passfile, 0o600)
            let session = try LibPQSession(
                conninfo: "host=\(cluster.socketDirectory) port=\(cluster.port) user=guarded dbname=postgres")
            #expect(try session.query("SELECT current_user").scalar() == "guarded")
            session.close()
        }
    }

    @Test func aStopRequestCancelsARunningStatementAndTheSessionStaysUsable() throws {
        try withCluster(15) { cluster in
            let stop = LockedFlag()
            let session = try LibPQSession(
                conninfo: cluster.conninfo, options: SessionOptions(shouldStop: { stop.value }))
            defer { session.close() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { stop.set() }
            let started = Date()
            let error = #expect(throws: PostgresError.self) { try session.query("SELECT pg_sleep(60)") }
            #expect(error?.code == .cancelled)
            #expect(error?.exitStatus == .interrupted)
            #expect(
                error?.libpqMessage.contains("canceling statement due to user request") == true,
                "\(String(describing: error))")
            #expect(Date().timeIntervalSince(started) < 5)
            // Teardown's statements still run after the stop request; ordinary ones do not start.
            #expect(try session.query("SELECT 1", [], limit: .teardown).scalar() == "1")
            #expect(throws: PostgresError.self) { try session.query("SELECT 2") }
        }
    }

    @Test func aStatementPastItsTimeoutIsCancelledAndTheSessionStaysUsable() throws {
        try withCluster(15) { cluster in
            let session = try LibPQSession(conninfo: cluster.conninfo)
            defer { session.close() }
            let error = #expect(throws: PostgresError.self) {
                try session.query("SELECT pg_sleep(60)", [], limit: QueryLimit(timeout: 0.5, interruptible: true))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.exitStatus == .postgres)
            #expect(try session.query("SELECT 1").scalar() == "1")
            #expect(
                try cluster.psql(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'")
                    == "0")
        }
    }

    @Test func serverNoticesGoToTheSinkAndAFailuresWarningsIntoItsLine() throws {
        try withCluster(15) { cluster in
            let received = LockedMessages()
            let session = try LibPQSession(
                conninfo: cluster.conninfo,
                options: SessionOptions(serverMessages: { received.append($0) }))
            defer { session.close() }
            _ = try session.query("DO $$ BEGIN RAISE NOTICE 'hello'; RAISE WARNING 'careful'; END $$")
            #expect(
                received.all == [
                    ServerMessage(severity: "NOTICE", text: "hello"),
                    ServerMessage(severity: "WARNING", text: "careful"),
                ])
            #expect(received.all.last?.description == "server: WARNING: careful")
            let error = #expect(throws: PostgresError.self) {
                try session.query("DO $$ BEGIN RAISE WARNING 'about to fail'; RAISE EXCEPTION 'boom'; END $$")
            }
            #expect(error?.message.contains("boom") == true)
            #expect(error?.message.contains("server: WARNING: about to fail") == true, "\(String(describing: error))")
            #expect(received.all.count == 2, "a failure's warning is in its line, not logged before it")
        }
    }

    /// A WARNING the server sends during connection startup goes to the sink, marked as sent
    /// while connecting, instead of through libpq's default processor onto stderr.
    @Test func aWarningSentWhileConnectingGoesToTheSink() throws {
        try withCluster(15) { cluster in
            let conninfo = try cluster.databaseWarningAtConnect()
            let received = LockedMessages()
            let session = try LibPQSession(
                conninfo: conninfo, options: SessionOptions(serverMessages: { received.append($0) }))
            defer { session.close() }
            let warning = try #require(received.all.first, "no startup warning reached the sink")
            #expect(received.all.count == 1)
            #expect(warning.severity == "WARNING")
            #expect(warning.duringConnection)
            #expect(warning.text.contains("database \"warns\" has no actual collation version"), "\(warning)")
            // A statement's own notices are not marked.
            _ = try session.query("DO $$ BEGIN RAISE WARNING 'careful'; END $$")
            #expect(received.all.last == ServerMessage(severity: "WARNING", text: "careful"))
        }
    }

    /// The cancel request goes to a server that accepts and never answers (the request opens a
    /// new connection at cancel time, so swapping the socket file stands in for a partition):
    /// the statement's timeout still ends within the cancel bound and the session is closed.
    @Test func aCancelRequestThatGetsNoAnswerIsGivenUpWithinItsBound() throws {
        try withCluster(15) { cluster in
            let session = try LibPQSession(conninfo: cluster.conninfo)
            defer { session.close() }
            let socketPath = cluster.socketDirectory + "/.s.PGSQL.\(cluster.port)"
            try #require(rename(socketPath, socketPath + ".real") == 0)
            defer { rename(socketPath + ".real", socketPath) }
            let mute = try MuteListener(path: socketPath)
            defer { mute.close() }
            // Without the bound, PQcancel waits until this resets its connection.
            DispatchQueue.global().asyncAfter(deadline: .now() + 15) { mute.close() }
            let started = Date()
            let error = #expect(throws: PostgresError.self) {
                try session.query("SELECT pg_sleep(60)", [], limit: QueryLimit(timeout: 0.5, interruptible: true))
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed < 0.5 + LibPQSession.cancelRequestBound + 1.5, "took \(elapsed) s")
            #expect(error?.code == .timedOut)
            #expect(
                error?.libpqMessage.contains("the cancel request got no answer within 2 s; session closed") == true,
                "\(String(describing: error))")
            let closed = #expect(throws: PostgresError.self) { try session.query("SELECT 1", [], limit: .teardown) }
            #expect(closed?.code == .connectionLost)
        }
    }

    /// A server that accepts connections and never says a word: the connection attempt ends on
    /// a stop request, and on connect_timeout (which the safety bound here relies on too).
    @Test func aConnectionAttemptTheServerNeverAnswersEndsOnStopOrTimeout() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-mute-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array((directory + "/.s.PGSQL.5999").utf8CString)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.map { UInt8(bitPattern: $0) }) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 8) == 0)
        let conninfo = "host=\(directory) port=5999 user=postgres connect_timeout=10"

        let stop = LockedFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { stop.set() }
        var started = Date()
        let cancelled = #expect(throws: PostgresError.self) {
            try LibPQSession(conninfo: conninfo, options: SessionOptions(shouldStop: { stop.value }))
        }
        #expect(cancelled?.code == .cancelled)
        #expect(Date().timeIntervalSince(started) < 5)

        started = Date()
        let timedOut = #expect(throws: PostgresError.self) {
            try LibPQSession(
                conninfo: conninfo.replacingOccurrences(of: "connect_timeout=10", with: "connect_timeout=2"))
        }
        #expect(timedOut?.code == .connectionFailed)
        #expect(timedOut?.libpqMessage.contains("timeout") == true)
        #expect(Date().timeIntervalSince(started) < 8)
    }
}

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
                try LibPQSession(conninfo: "host=\(cluster.socketDirectory) port=\(cluster.port) user=guarded dbname=postgres")
            }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.message.contains("wrong-password") == false)
            try "*:*:*:guarded:right-horse-battery\n".write(toFile: passfile, atomically: true, encoding: .utf8)
            chmod(passfile, 0o600)
            let session = try LibPQSession(conninfo: "host=\(cluster.socketDirectory) port=\(cluster.port) user=guarded dbname=postgres")
            #expect(try session.query("SELECT current_user").scalar() == "guarded")
            session.close()
        }
    }
}

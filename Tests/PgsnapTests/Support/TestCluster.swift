import Foundation

/// A throwaway PostgreSQL cluster for one test: initdb with data checksums as the `postgres`
/// user, a Unix socket in its own directory, user tablespaces, always removed by `destroy()`.
final class TestCluster: @unchecked Sendable {
    let installation: PostgresInstallation
    let root: String
    var dataDirectory: String { root + "/data" }
    var socketDirectory: String { root + "/socket" }
    let port: Int
    private(set) var tablespaces: [String: String] = [:]
    private var running = false

    static let user = "postgres"

    /// Creates and starts a cluster; on any failure everything created so far is removed.
    init(_ installation: PostgresInstallation, settings: [String] = []) throws {
        self.installation = installation
        root = try TemporaryDirectory.make(prefix: "pgsnap-pg\(installation.major)-", owner: Self.user)
        port = 5432
        do {
            try Command.output(
                installation.tool("initdb"),
                [
                    "-D", dataDirectory, "--data-checksums", "--auth=trust", "-U", "postgres", "-E", "UTF8",
                    "--locale=C",
                ],
                asUser: Self.user)
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: false)
            try Command.output("/bin/chown", [Self.user, socketDirectory])
            let config =
                [
                    "listen_addresses = ''", "unix_socket_directories = '\(socketDirectory)'", "port = \(port)",
                    "fsync = off", "wal_level = replica", "max_wal_senders = 4",
                    "shared_buffers = 32MB",
                ] + settings
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.auto.conf"))
            handle.seekToEndOfFile()
            handle.write(Data((config.joined(separator: "\n") + "\n").utf8))
            try handle.close()
            try start()
        } catch {
            destroy()
            throw error
        }
    }

    /// `host=<socket dir> port=… user=postgres dbname=postgres`.
    var conninfo: String { "host=\(socketDirectory) port=\(port) user=postgres dbname=postgres" }

    func start() throws {
        try Command.output(
            installation.tool("pg_ctl"),
            ["-D", dataDirectory, "-l", root + "/server.log", "-w", "-t", "60", "start"],
            asUser: Self.user)
        running = true
    }

    func stop() throws {
        guard running else { return }
        try Command.output(
            installation.tool("pg_ctl"), ["-D", dataDirectory, "-m", "fast", "-w", "stop"],
            asUser: Self.user)
        running = false
    }

    /// Runs SQL with psql and returns its unaligned, tuples-only output.
    @discardableResult
    func psql(_ sql: String, user: String = "postgres") throws -> String {
        try Command.output(
            installation.tool("psql"),
            [
                "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", "\(port)", "-U", user,
                "-d", "postgres", "-c", sql,
            ],
            asUser: Self.user
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates a tablespace in a new directory under the cluster's root and returns its path.
    @discardableResult
    func createTablespace(_ name: String) throws -> String {
        let location = root + "/tablespace-" + name
        try FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: false)
        try Command.output("/bin/chown", [Self.user, location])
        try psql("CREATE TABLESPACE \(name) LOCATION '\(location)'")
        tablespaces[name] = location
        return location
    }

    /// `pgbench -i` at `scale`, its tables optionally in `tablespace`: the data whose
    /// invariants the backup and restore tests check.
    func initializePgbench(scale: Int, tablespace: String? = nil) throws {
        try Command.output(
            installation.tool("pgbench"),
            ["-i", "-q", "-s", String(scale)] + (tablespace.map { ["--tablespace=\($0)"] } ?? [])
                + ["-h", socketDirectory, "-U", "postgres", "postgres"],
            asUser: Self.user)
    }

    /// Stops the server (immediately if a fast stop fails) and removes every file.
    func destroy() {
        if running, (try? stop()) == nil {
            _ = Command.run(
                installation.tool("pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                asUser: Self.user)
        }
        running = false
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { destroy() }
}

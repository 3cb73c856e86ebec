import Foundation
import Testing

/// A backup restored with nothing but `zstd` and `tar`, the way a DBA would by hand: base.tar
/// into a fresh data directory, each tablespace archive where tablespace_map says (relocated
/// into the test's own directory), the WAL into pg_wal. Then started on a socket of its own.
///
/// Or one that `pgsnap restore` wrote: `init(adopting:)` takes over `root/data` as it is.
final class RestoredCluster: @unchecked Sendable {
    let installation: PostgresInstallation
    let root: String
    var dataDirectory: String { root + "/data" }
    var socketDirectory: String { root + "/socket" }
    private var running = false
    private var relocations: [String] = []

    init(backup: String, installation: PostgresInstallation) throws {
        self.installation = installation
        root = try TemporaryDirectory.make(prefix: "pgsnap-pg\(installation.major)-restore-", owner: TestCluster.user)
        do {
            try extract(backup)
        } catch {
            destroy()
            throw error
        }
    }

    /// Adopts a data directory already restored at `root + "/data"` (by `pgsnap restore`),
    /// changing nothing in it; `destroy()` removes all of `root`.
    init(adopting root: String, installation: PostgresInstallation) throws {
        self.installation = installation
        self.root = root
        try makeDirectory(socketDirectory)
    }

    private func extract(_ backup: String) throws {
        try makeDirectory(dataDirectory)
        try untar(backup + "/base.tar.zst", into: dataDirectory)
        let mapPath = dataDirectory + "/tablespace_map"
        if let map = try? String(contentsOfFile: mapPath, encoding: .utf8) {
            for line in map.split(separator: "\n") {
                guard let space = line.firstIndex(of: " ") else { continue }
                let oid = String(line[..<space])
                let location = root + "/tablespace-" + oid
                try makeDirectory(location)
                try untar(backup + "/\(oid).tar.zst", into: location)
                // base.tar links to the original location; point it at the relocated copy.
                let link = dataDirectory + "/pg_tblspc/" + oid
                try FileManager.default.removeItem(atPath: link)
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: location)
                _ = Command.run("/bin/chown", ["-h", TestCluster.user, link])
                relocations.append("\(oid) \(location)")
            }
        }
        try untar(backup + "/pg_wal.tar.zst", into: dataDirectory + "/pg_wal")
        try makeDirectory(socketDirectory)
    }

    private func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Command.output("/bin/chown", [TestCluster.user + ":", path])
        chmod(path, 0o700)
    }

    private func untar(_ archive: String, into directory: String) throws {
        try Command.output("/bin/sh", ["-c", "zstd -dc -q \"$0\" | tar -x -f - -C \"$1\"", archive, directory])
    }

    /// PostgreSQL's own pg_verifybackup on the extracted tree, before start-up.
    func verify(manifest: String) -> (status: Int32, output: String) {
        // The backup is root's and private (0600 in a 0700 directory); pg_verifybackup runs as postgres.
        let copy = root + "/backup_manifest"
        try? FileManager.default.removeItem(atPath: copy)
        do {
            try FileManager.default.copyItem(atPath: manifest, toPath: copy)
            try Command.output("/bin/chown", [TestCluster.user, copy])
        } catch {
            return (-1, "cannot copy the manifest: \(error)")
        }
        let result = Command.run(
            installation.tool("pg_verifybackup"), ["-m", copy, dataDirectory],
            asUser: TestCluster.user)
        return (result.status, result.output)
    }

    /// Starts the server; `settings` are extra `-c name=value` options (e.g. `archive_mode=off`
    /// so a restored copy never archives into the original's WAL archive).
    func start(settings: [String] = []) throws {
        // PostgreSQL recreates pg_tblspc links from tablespace_map during recovery: it must name
        // the relocated directories, or the restored server would write into the original ones.
        // (Rewritten only now, because pg_verifybackup checks the file as archived.)
        if !relocations.isEmpty {
            try (relocations.joined(separator: "\n") + "\n")
                .write(toFile: dataDirectory + "/tablespace_map", atomically: false, encoding: .utf8)
        }
        try Command.output(
            installation.tool("pg_ctl"),
            [
                "-D", dataDirectory, "-l", root + "/server.log", "-w", "-t", "120",
                "-o",
                (["unix_socket_directories=\(socketDirectory)", "listen_addresses=''"] + settings)
                    .map { "-c \($0)" }.joined(separator: " "), "start",
            ],
            asUser: TestCluster.user)
        running = true
    }

    @discardableResult
    func psql(_ sql: String) throws -> String {
        try Command.output(
            installation.tool("psql"),
            [
                "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", "5432", "-U",
                "postgres", "-d", "postgres", "-c", sql,
            ],
            asUser: TestCluster.user
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls `pg_is_in_recovery()` until the server has left recovery (promotion is
    /// asynchronous: pg_ctl returns as soon as connections are accepted).
    func waitUntilOutOfRecovery(seconds: Double = 60) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try psql("SELECT pg_is_in_recovery()") == "f" { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    var serverLog: String { (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "" }

    func destroy() {
        if running {
            _ = Command.run(
                installation.tool("pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                asUser: TestCluster.user)
            running = false
        }
        try? FileManager.default.removeItem(atPath: root)
    }

    deinit { destroy() }
}

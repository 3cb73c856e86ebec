import Foundation
import Testing

/// One real, small PostgreSQL 15 backup with a user tablespace (`fast`, holding table `kept`),
/// taken once per test process for the suites that only read it or tamper with copies of it
/// (verify, hostile archives). Copies get ids of their own, so each case has a fresh backup.
///
/// The cluster is destroyed right after the backup: its original tablespace location no longer
/// exists, so a restore of these backups must always relocate the tablespace.
final class SharedBackup: Sendable {
    /// The target directory holding `<id>/`.
    let target: String
    let id: String
    let tablespaceOID: String
    let installation: PostgresInstallation
    var directory: String { target + "/" + id }

    private init(target: String, id: String, tablespaceOID: String, installation: PostgresInstallation) {
        self.target = target
        self.id = id
        self.tablespaceOID = tablespaceOID
        self.installation = installation
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: Result<SharedBackup, any Error>?

    /// The backup, taken on first use; a failure to take it is remembered and rethrown.
    static func get() throws -> SharedBackup {
        lock.lock()
        defer { lock.unlock() }
        if case .failure(let error) = cached {
            // The first caller recorded it; a rethrown #require failure counts as recorded
            // already, so every later caller would pass without a backup: give each its own.
            throw Unavailable(reason: "\(error)")
        }
        if let cached { return try cached.get() }
        let result = Result { try take() }
        cached = result
        if case .success = result { atexit { SharedBackup.removeCached() } }
        return try result.get()
    }

    struct Unavailable: Error, CustomStringConvertible {
        let reason: String
        var description: String { "the shared backup could not be taken: \(reason)" }
    }

    private static func removeCached() {
        if case .success(let backup) = cached { try? FileManager.default.removeItem(atPath: backup.target) }
    }

    private static func take() throws -> SharedBackup {
        try withCluster(15) { cluster in
            try cluster.createTablespace("fast")
            try cluster.psql(
                "CREATE TABLE kept TABLESPACE fast AS SELECT g, md5(g::text) AS t FROM generate_series(1, 5000) g")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-shared-target-")
            let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-shared-run-")
            defer { try? FileManager.default.removeItem(atPath: runDirectory) }
            let run = try Pgsnap.run([
                "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory",
                runDirectory, "--conninfo", cluster.conninfo, "--checkpoint", "fast",
            ])
            guard run.status == 0 else {
                try? FileManager.default.removeItem(atPath: target)
                throw Command.Failure(command: "pgsnap backup (shared fixture)", status: run.status, output: run.output)
            }
            let id = try #require(try run.json()["id"] as? String)
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
            return SharedBackup(target: target, id: id, tablespaceOID: oid, installation: cluster.installation)
        }
    }

    /// Copies the backup into `target` as `<newID>/` (owner, modes and times kept) with
    /// backup.json's `id` rewritten to match (and its checksum recomputed), and returns the copy's directory.
    @discardableResult
    func copy(into target: String, as newID: String) throws -> String {
        let destination = target + "/" + newID
        try Command.output("/bin/cp", ["-a", directory, destination])
        try RecordEditing.edit(destination + "/backup.json", seal: .resealed) { $0["id"] = newID }
        return destination
    }
}

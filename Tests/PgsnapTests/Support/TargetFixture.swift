import Catalog
import Foundation

@testable import Backup
@testable import TargetLayout

/// A target directory with hand-made runs of chosen ages, written the way pgsnap writes them
/// (the real `BackupRecord` and `FailedRunRecord` encodings), plus a run directory whose lock
/// a test can hold.
final class TargetFixture {
    let target: String
    let runDirectory: String
    var lockPath: String { runDirectory + "/pgsnap.lock" }
    /// Whole seconds, as IDs and backup.json times have.
    let now: Date

    /// `now` fixes the clock the fixture's ages count back from (golden files need fixed IDs).
    init(now: Date = Date()) throws {
        self.now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        target = try TemporaryDirectory.make(prefix: "pgsnap-catalog-")
        runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-catalog-run-")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: target)
        try? FileManager.default.removeItem(atPath: runDirectory)
    }

    func date(daysAgo days: Double) -> Date {
        now.addingTimeInterval(-days * 86400)
    }

    /// `<id>/` with archives and a complete backup.json; returns the ID.
    @discardableResult
    func complete(
        daysAgo days: Double, label: String = "nightly",
        systemIdentifier: String = TargetFixture.systemIdentifier
    ) throws -> String {
        let start = date(daysAgo: days)
        let id = BackupID.make(at: start)
        let directory = target + "/" + id
        try makeDirectory(directory)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: directory + "/base.tar.zst"))
        try Data(repeating: 8, count: 512).write(to: URL(fileURLWithPath: directory + "/pg_wal.tar.zst"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/backup_manifest"))
        var record = Self.record(id: id, label: label, start: start)
        record.systemIdentifier = systemIdentifier
        try record.encoded()
            .write(to: URL(fileURLWithPath: directory + "/backup.json"))
        return id
    }

    /// `<id>.failed/backup.json` as a failed run leaves it.
    @discardableResult
    func failed(daysAgo days: Double, error: String = "WAL segment missing") throws -> String {
        let start = date(daysAgo: days)
        let id = BackupID.make(at: start)
        try makeDirectory(target + "/" + id + ".failed")
        let record = FailedRunRecord(
            id: id, label: "pgsnap \(id)", startTime: start, stopTime: start.addingTimeInterval(3),
            error: error, exitStatus: 4, pgsnapVersion: "0.1.0")
        try record.encoded().write(to: URL(fileURLWithPath: target + "/" + id + ".failed/backup.json"))
        return id
    }

    /// `<id>.partial/` with a half-written archive and the marker of a run of this host.
    @discardableResult
    func partial(daysAgo days: Double) throws -> String {
        let id = BackupID.make(at: date(daysAgo: days))
        let partial = try Leftovers.createPartial(in: target, id: id)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: partial + "/base.tar.zst"))
        return id
    }

    /// `<id>/` whose backup.json is missing (or, with `json`, has this content).
    @discardableResult
    func incomplete(daysAgo days: Double, json: String? = nil) throws -> String {
        let id = BackupID.make(at: date(daysAgo: days))
        try makeDirectory(target + "/" + id)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: target + "/" + id + "/base.tar.zst"))
        if let json { try Data(json.utf8).write(to: URL(fileURLWithPath: target + "/" + id + "/backup.json")) }
        return id
    }

    /// `pgsnap.target` binding the target to `systemIdentifier`, as the first backup writes it.
    @discardableResult
    func bind(to systemIdentifier: String = TargetFixture.systemIdentifier) throws -> TargetBinding {
        try TargetBinding(systemIdentifier: systemIdentifier, boundAt: date(daysAgo: 30), pgsnapVersion: "0.1.0")
            .write(target: target)
    }

    /// The cluster the fixture's complete backups are of, unless a test says otherwise.
    static let systemIdentifier = "7311234567890123456"

    /// Holds the run lock the way a running backup does, until the returned descriptor is closed.
    /// O_CLOEXEC: a server another suite starts meanwhile must not inherit (and keep) the lock.
    func holdLock() -> Int32 {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0 && flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        return descriptor
    }

    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: target).sorted()
    }

    func catalog(lockPath: String? = nil) throws -> BackupCatalog {
        try BackupCatalog(target: target, lockPath: lockPath ?? self.lockPath)
    }

    func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: false,
            attributes: [.posixPermissions: 0o700])
    }

    static func record(id: String, label: String, start: Date) -> BackupRecord {
        BackupRecord(
            id: id, label: label, status: .complete, pgsnapVersion: "0.1.0", postgresVersion: "15.8",
            postgresVersionNumber: 150008, systemIdentifier: "7311234567890123456", timeline: 1,
            startLSN: "0/2000028", stopLSN: "0/2000138",
            walSegments: ["000000010000000000000002", "000000010000000000000003"],
            startTime: start, stopTime: start.addingTimeInterval(65), backupModeSeconds: 64.5, snapshotMode: "none",
            dataDirectory: "/var/lib/postgresql/15/main", dataDirectoryOwner: 105, dataDirectoryGroup: 112,
            tablespaces: [.init(oid: 16384, name: "fast", location: "/srv/fast")],
            volumes: [
                .init(
                    archive: "base.tar.zst", origin: nil, snapshotType: nil, snapshotBytes: nil,
                    peakFillPercent: nil, bytesRead: 40_000_000, bytesWritten: 4096, files: 900)
            ],
            bytesRead: 40_000_000, bytesWritten: 4608, compressionRatio: 8680.5, throughputBytesPerSecond: 615_384,
            compressionLevel: 3, manifestChecksums: "crc32c")
    }
}

/// What a failed `pgsnap backup` must leave: exactly one `<id>.failed/` holding only a
/// backup.json with status failed; returns that record's JSON.
enum FailedRun {
    static func onlyRecord(in target: String) throws -> [String: Any] {
        let names = try FileManager.default.contentsOfDirectory(atPath: target)
            .filter { $0 != "lost+found" && $0 != TargetBinding.fileName }
        guard names.count == 1, let name = names.first, name.hasSuffix(".failed") else {
            throw Command.Failure(command: "ls \(target)", status: 1, output: "expected one <id>.failed: \(names)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: target + "/" + name)
        guard files == ["backup.json"] else {
            throw Command.Failure(command: "ls \(name)", status: 1, output: "expected only backup.json: \(files)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: target + "/" + name + "/backup.json"))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["status"] as? String == "failed", object["id"] as? String == String(name.dropLast(".failed".count))
        else {
            throw Command.Failure(command: "cat backup.json", status: 1, output: String(decoding: data, as: UTF8.self))
        }
        return object
    }
}

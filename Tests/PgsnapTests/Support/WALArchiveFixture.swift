import Catalog
import Foundation
import PostgresFormat
import Testing

/// A target set up for WAL archiving as docs/wal-archive.md says (target 0711, `pgsnap.target`
/// 0644, `wal/` owned by postgres, 0700), bound to a test cluster whose archive_command is
/// `pgsnap archive-push %p --config …`, run by the real server as postgres.
final class WALArchiveFixture {
    let target: String
    let configDirectory: String
    var config: String { configDirectory + "/pgsnap.conf" }
    var archive: String { target + "/wal" }

    /// `target` defaults to a new temporary directory; the caller then owns nothing to remove.
    init(target: String? = nil) throws {
        configDirectory = try TemporaryDirectory.make(prefix: "pgsnap-walconf-")
        if let target {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            self.target = target
        } else {
            self.target = try TemporaryDirectory.make(prefix: "pgsnap-waltarget-")
        }
        chmod(configDirectory, 0o755)
        chmod(self.target, 0o711)
        try "target = \(self.target)\n".write(toFile: config, atomically: false, encoding: .utf8)
        chmod(config, 0o644)
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: false)
        try Command.output("/bin/chown", [TestCluster.user, archive])
        chmod(archive, 0o700)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: configDirectory)
        try? FileManager.default.removeItem(atPath: target)
    }

    /// The archive_command line, optionally through `wrapper` (a script that gets the command).
    func archiveCommand(wrapper: String? = nil) -> String {
        "archive_command = '\(wrapper.map { $0 + " " } ?? "")\(Pgsnap.path) archive-push %p --config \(config)'"
    }

    /// Binds the target to `cluster` and makes the binding readable by the cluster's user.
    func bind(to cluster: TestCluster) throws {
        let identifier = try cluster.psql("select system_identifier from pg_control_system()")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try TargetBinding(systemIdentifier: identifier, boundAt: Date(), pgsnapVersion: "test").write(
            target: target)
        chmod(target + "/pgsnap.target", 0o644)
    }

    /// pgsnap as postgres, the way the server runs it.
    func pgsnap(_ arguments: [String]) -> (status: Int32, output: String, stdout: String) {
        Command.run(Pgsnap.path, arguments + ["--config", config], asUser: TestCluster.user)
    }

    /// Every archived file's WAL name, from the `.zst` files under the archive.
    func archivedNames() throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: archive)
        var names: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasSuffix(".zst") { names.append(String(name.dropLast(4))) }
        }
        return names.sorted()
    }

    /// Every file under the archive whose name is neither a directory nor an archived `.zst`.
    func strayFiles() throws -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: archive)
        var stray: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: archive + "/" + relative, isDirectory: &isDirectory)
            if exists && !isDirectory.boolValue && !relative.hasSuffix(".zst") { stray.append(relative) }
        }
        return stray
    }

    /// Wakes the archiver until the server has archived everything: no `.ready` left in
    /// pg_wal/archive_status.
    func waitUntilArchived(_ cluster: TestCluster, seconds: Double = 120) throws {
        let deadline = Date().addingTimeInterval(seconds)
        let status = cluster.dataDirectory + "/pg_wal/archive_status"
        while Date() < deadline {
            let ready = try FileManager.default.contentsOfDirectory(atPath: status).filter { $0.hasSuffix(".ready") }
            if ready.isEmpty { return }
            // A reload sets the archiver's latch: after three failures it would otherwise wait
            // up to a minute for the next segment.
            try cluster.psql("select pg_reload_conf()")
            usleep(300_000)
        }
        let log = (try? String(contentsOfFile: cluster.root + "/server.log", encoding: .utf8)) ?? ""
        Issue.record("archiving did not catch up within \(seconds) s; server log tail: \(log.suffix(2000))")
    }

    /// Each archived segment, fetched with archive-get as postgres (which checks its SHA-256),
    /// equals the server's own copy while pg_wal still has it; the segments run without a gap
    /// from the first archived to the last. Returns how many were compared byte for byte.
    @discardableResult
    func verify(against cluster: TestCluster) throws -> Int {
        let names = try archivedNames()
        let segments = names.filter(WALFileName.isSegmentName)
        #expect(!segments.isEmpty, "nothing archived")
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-walget-", owner: TestCluster.user)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var compared = 0
        for name in names {
            let run = pgsnap(["archive-get", name, scratch + "/out"])
            #expect(run.status == 0 && run.output.isEmpty, "archive-get \(name): \(run.status) \(run.output)")
            let original = cluster.dataDirectory + "/pg_wal/" + name
            guard let mine = FileManager.default.contents(atPath: original) else { continue }
            let fetched = FileManager.default.contents(atPath: scratch + "/out")
            // A segment recycled between the two reads has another header: compare only intact ones.
            let stillOriginal =
                WALSegmentHeader(Array(mine.prefix(40))).problem(
                    name: name, size: UInt64(mine.count), segmentSize: UInt64(mine.count), systemIdentifier: nil,
                    timelines: []) == nil
            if stillOriginal || !WALFileName.isSegmentName(name) {
                #expect(fetched == mine, "\(name) comes back different from pg_wal's copy")
                compared += 1
            }
        }
        let numbers = segments.compactMap { WALFileName(parsing: $0, segmentSize: 16 << 20)?.segment }
        if let first = numbers.first, let last = numbers.last {
            #expect(numbers == Array(first...last), "gaps in the archive: \(segments)")
        }
        return compared
    }
}

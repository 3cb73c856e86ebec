import Foundation
import Testing

@testable import Restore

/// Finding the directories running servers use (from a fake `/proc`), comparing destinations
/// with them, and keeping unarchived WAL aside.
@Suite("Restore: directories of running servers, unarchived WAL", .unit)
struct RunningClustersUnitTests {
    /// A fake `/proc` with a postmaster (pid 4100, child of init) running in `data`, a backend
    /// (pid 4101, its child) and an unrelated process; `data` has a tablespace link and a
    /// pg_wal symlinked elsewhere.
    private func fakeHost(_ root: String) throws -> (proc: String, data: String, tablespace: String, wal: String) {
        let files = FileManager.default
        let proc = root + "/proc"
        let data = root + "/cluster/data"
        let tablespace = root + "/ts"
        let wal = root + "/wal"
        for directory in [data + "/pg_tblspc", tablespace, wal] {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try files.createSymbolicLink(atPath: data + "/pg_tblspc/16384", withDestinationPath: tablespace)
        try files.createSymbolicLink(atPath: data + "/pg_wal", withDestinationPath: wal)
        try "4100\n\(data)\n1700000000\n5432\n".write(
            toFile: data + "/postmaster.pid", atomically: false, encoding: .utf8)
        func process(_ pid: Int, command: String, parent: Int, cmdline: [String], cwd: String?) throws {
            let directory = "\(proc)/\(pid)"
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "\(pid) (\(command)) S \(parent) \(pid) \(pid) 0 -1\n".write(
                toFile: directory + "/stat", atomically: false,
                encoding: .utf8)
            try Data(cmdline.joined(separator: "\0").utf8 + [0]).write(to: URL(fileURLWithPath: directory + "/cmdline"))
            if let cwd { try files.createSymbolicLink(atPath: directory + "/cwd", withDestinationPath: cwd) }
        }
        try process(1, command: "systemd", parent: 0, cmdline: ["/sbin/init"], cwd: "/")
        try process(
            4100, command: "postgres", parent: 1, cmdline: ["/usr/lib/postgresql/15/bin/postgres", "-D", data],
            cwd: data)
        try process(4101, command: "postgres", parent: 4100, cmdline: ["postgres: checkpointer "], cwd: data)
        try process(4200, command: "bash (x) y", parent: 1, cmdline: ["bash"], cwd: root)
        return (proc, data, tablespace, wal)
    }

    @Test func postmastersAreFoundWithTheirTablespacesAndWAL() throws {
        let root = try TemporaryDirectory.make(prefix: "pgsnap-restore-unit-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let host = try fakeHost(root)
        let clusters = RunningClusters.scan(known: [], proc: host.proc)
        let real = RunningClusters.resolved
        #expect(Set(clusters.directories.map(\.path)) == [real(host.data), real(host.tablespace), real(host.wal)])
        #expect(clusters.directories.allSatisfy { $0.pid == 4100 })
        #expect(clusters.runsIn(host.data))

        for (path, relation) in [
            (host.data, "is"), (host.tablespace, "is"), (host.wal, "is"),
            (host.tablespace + "/PG_15_202209061", "is inside"), (host.data + "/restore", "is inside"),
            (root + "/cluster", "contains"), (host.data + "/../data", "is"),
        ] {
            let conflict = clusters.conflict(with: path)
            #expect(conflict?.1 == relation, "\(path): \(String(describing: conflict))")
        }
        #expect(clusters.conflict(with: root + "/other/data") == nil)
        #expect(clusters.conflict(with: host.tablespace + "-2") == nil)
        // Another name for the same directory.
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: host.tablespace)
        #expect(clusters.conflict(with: root + "/alias/PG_15")?.1 == "is inside")

        // A known data directory whose postmaster.pid names a live process that is not
        // PostgreSQL (a reused pid: this test's own process, "swiftpm-testing-helper" or so).
        let stale = root + "/stale"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try "\(getpid())\n".write(toFile: stale + "/postmaster.pid", atomically: false, encoding: .utf8)
        #expect(RunningClusters.scan(known: [stale], proc: "/proc").conflict(with: stale) == nil)

        // A stale postmaster.pid (another pid) is no running server.
        try "999\n".write(toFile: host.data + "/postmaster.pid", atomically: false, encoding: .utf8)
        #expect(RunningClusters.scan(known: [], proc: host.proc).directories.isEmpty)
    }

    @Test func theDataDirectoryArgumentIsReadFromTheCommandLine() {
        func parse(_ arguments: [String]) -> String? {
            RunningClusters.dataDirectoryArgument(Array(arguments.joined(separator: "\0").utf8))
        }
        #expect(parse(["postgres", "-D", "/srv/pg"]) == "/srv/pg")
        #expect(parse(["postgres", "-D/srv/pg", "-c", "x=y"]) == "/srv/pg")
        #expect(parse(["postgres", "-D", "relative"]) == nil)
        #expect(parse(["postgres"]) == nil)
    }

    @Test func unarchivedSegmentsAreMovedAsideNotDeleted() throws {
        let root = try TemporaryDirectory.make(prefix: "pgsnap-restore-unit-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let wal = root + "/data/pg_wal"
        try FileManager.default.createDirectory(atPath: wal + "/archive_status", withIntermediateDirectories: true)
        // 05 archived; 06 waiting for the archiver; 07 the current segment (no marker until it
        // is full); a .partial and a history file without markers; a temporary file of
        // PostgreSQL's that is no WAL.
        let names = [
            "000000010000000000000005", "000000010000000000000006", "000000010000000000000007",
            "000000010000000000000003.partial", "00000002.history", "xlogtemp.4242",
        ]
        for name in names {
            try "wal \(name)".write(toFile: wal + "/" + name, atomically: false, encoding: .utf8)
        }
        try "".write(toFile: wal + "/archive_status/000000010000000000000005.done", atomically: false, encoding: .utf8)
        try "".write(toFile: wal + "/archive_status/000000010000000000000006.ready", atomically: false, encoding: .utf8)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let kept = try #require(try UnarchivedWAL.keepAside(from: wal, besides: root + "/data", owner: nil, now: now))
        #expect(kept == root + "/data.pgsnap-unarchived-wal-20270115T080000Z")
        #expect(FileTree.mode(kept) == 0o700)
        #expect(
            Set(FileTree.children(kept)) == [
                "000000010000000000000006", "000000010000000000000007",
                "000000010000000000000003.partial", "00000002.history", "archive_status",
            ])
        #expect(Set(FileTree.children(kept + "/archive_status")) == ["000000010000000000000006.ready"])
        #expect(
            Set(FileTree.children(wal)) == ["000000010000000000000005", "xlogtemp.4242", "archive_status"],
            "an archived segment or a non-WAL file was moved")
        // A second restore in the same second gets its own directory; nothing to keep, none.
        try "new".write(toFile: wal + "/000000010000000000000008", atomically: false, encoding: .utf8)
        #expect(try UnarchivedWAL.keepAside(from: wal, besides: root + "/data", owner: nil, now: now) == kept + "-2")
        #expect(try UnarchivedWAL.keepAside(from: wal, besides: root + "/data", owner: nil, now: now) == nil)
    }

    /// archive_mode = off: no archive_status markers at all, so every segment is the only copy.
    @Test func withoutArchiveStatusEverySegmentIsKept() throws {
        let root = try TemporaryDirectory.make(prefix: "pgsnap-restore-unit-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let wal = root + "/data/pg_wal"
        try FileManager.default.createDirectory(atPath: wal, withIntermediateDirectories: true)
        for name in ["000000010000000000000001", "000000010000000000000002"] {
            try "wal".write(toFile: wal + "/" + name, atomically: false, encoding: .utf8)
        }
        let kept = try #require(try UnarchivedWAL.keepAside(from: wal, besides: root + "/data", owner: nil))
        #expect(
            Set(FileTree.children(kept)) == ["000000010000000000000001", "000000010000000000000002", "archive_status"])
        #expect(FileTree.children(wal).isEmpty)
    }

    @Test func walFileNamesAreRecognised() {
        for name in ["000000010000000000000001", "0000000A00000000000000FF.partial", "00000003.history"] {
            #expect(UnarchivedWAL.isWAL(name), "\(name)")
        }
        for name in [
            "archive_status", "xlogtemp.1", "00000001000000000000000", "000000010000000000000001.done",
            "0000000100000000000000GG", "00000003.history.ready", "000000010000000000000001.00000028.backup",
        ] {
            #expect(!UnarchivedWAL.isWAL(name), "\(name)")
        }
    }

    /// Keeping aside is a rename: WAL on another file system than the destination's parent (a
    /// pg_wal mount point) cannot be moved, and the restore must say so before removing anything.
    @Test func walOnAnotherFileSystemIsRefusedWithTheReason() throws {
        let shm = "/dev/shm/pgsnap-restore-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: false)
        let root = try TemporaryDirectory.make(prefix: "pgsnap-restore-unit-")
        defer {
            try? FileManager.default.removeItem(atPath: shm)
            try? FileManager.default.removeItem(atPath: root)
        }
        let wal = shm + "/pg_wal"
        try FileManager.default.createDirectory(atPath: wal + "/archive_status", withIntermediateDirectories: true)
        try "wal".write(toFile: wal + "/000000010000000000000009", atomically: false, encoding: .utf8)
        try #require(
            FileTree.lstatus(shm)?.st_dev != FileTree.lstatus(root)?.st_dev, "/dev/shm and /tmp share a file system")
        do {
            _ = try UnarchivedWAL.keepAside(from: wal, besides: root + "/data", owner: nil)
            Issue.record("WAL on another file system was accepted")
        } catch {
            #expect(error.code == .destination)
            #expect(error.detail.contains("another file system"), "\(error.detail)")
            #expect(error.detail.contains("nothing was removed"), "\(error.detail)")
            #expect(error.detail.contains("000000010000000000000009"), "\(error.detail)")
        }
        #expect(FileTree.children(wal) == ["000000010000000000000009", "archive_status"])
        #expect(FileTree.children(root).isEmpty, "a directory was left: \(FileTree.children(root))")
    }
}

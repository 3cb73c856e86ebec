import Foundation
import Testing

/// Refusals of the restore side found in review: a crafted WAL name, an archive that is a
/// FIFO behind a symlink, a bind mount of a directory holding a live cluster, and a refused
/// restore that must say one thing only. Each refusal is one line and leaves nothing behind.
@Suite("pgsnap restore and verify refuse crafted input", .serialized, .integration)
struct RestoreRefusalTests {
    static let id = "20200101T000000Z"

    /// A fresh target with a copy of the shared backup as `id`, damaged by `damage`.
    private func damagedTarget(_ damage: (String) throws -> Void) throws -> (target: SharedBackup, root: String) {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-refusal-target-")
        let backup = try shared.copy(into: target, as: Self.id)
        try damage(backup)
        return (shared, target)
    }

    private func stderrLines(_ run: Pgsnap.Run) -> [Substring] {
        String(run.output.dropLast(run.stdout.count)).split(separator: "\n")
    }

    /// A `pg_wal.tar.zst` member `00000001FFFFFFFFFFFFFFFF`, 16 MiB, with a real long page
    /// header: its start (segment × size) does not fit in 64 bits. Verify names it; restore
    /// refuses it and rolls back (it used to trap after extraction, leaving everything).
    @Test func aWALNameBeyondPostgreSQLsRangeIsDamagedNotACrash() throws {
        let crafted = "00000001FFFFFFFFFFFFFFFF"
        let (_, target) = try damagedTarget { backup in
            let record = try FaultInjectionTests.readRecord(backup)
            let name = try #require((record["wal_segments"] as? [String])?.first)
            try BackupTampering.rewrite(backup + "/pg_wal.tar.zst") { tar in
                let first = try #require(try RawTar.member(name, in: tar), "no \(name)")
                let segment = Array(tar[first.dataOffset..<(first.dataOffset + first.size)])
                try #require(segment.count == 16 << 20, "\(first.name) is \(segment.count) bytes")
                try BackupTampering.insert(RawTar.file(crafted, segment), before: first.name, in: &tar)
            }
        }
        defer { try? FileManager.default.removeItem(atPath: target) }
        let verify = try Pgsnap.run(["verify", Self.id, "--target", target])
        #expect(verify.status == 9, "\(verify.output.prefix(600))")
        #expect(verify.output.contains("WAL segment \(crafted) has a malformed name"), "\(verify.output.prefix(600))")

        let destination = try TemporaryDirectory.make(prefix: "pgsnap-refusal-dest-")
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let restore = try Pgsnap.run([
            "restore", Self.id, "--target", target, "--pgdata", destination + "/pgdata",
            "--tablespace", "fast=\(destination)/fast",
        ])
        #expect(restore.status == 9, "\(restore.output.prefix(600))")
        #expect(restore.output.contains(crafted), "\(restore.output.prefix(600))")
        #expect(stderrLines(restore).count == 1, "\(restore.output.prefix(600))")
        #expect(FileTree.children(destination).isEmpty, "left: \(FileTree.paths(destination).prefix(10))")
    }

    /// base.tar.zst replaced by a symlink to a FIFO nobody writes: opening it used to block
    /// forever. Now it is no regular file, so the backup is damaged, at once.
    @Test func anArchiveThatIsASymlinkToAFIFOIsDamagedAtOnce() throws {
        let (_, target) = try damagedTarget { backup in
            let fifo = backup + "/.fifo"
            try #require(mkfifo(fifo, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
            try FileManager.default.removeItem(atPath: backup + "/base.tar.zst")
            try FileManager.default.createSymbolicLink(atPath: backup + "/base.tar.zst", withDestinationPath: fifo)
        }
        defer { try? FileManager.default.removeItem(atPath: target) }
        let destination = try TemporaryDirectory.make(prefix: "pgsnap-refusal-dest-")
        defer { try? FileManager.default.removeItem(atPath: destination) }
        for arguments in [
            ["verify", Self.id, "--target", target],
            [
                "restore", Self.id, "--target", target, "--pgdata", destination + "/pgdata",
                "--tablespace", "fast=\(destination)/fast",
            ],
        ] {
            let run = try Pgsnap.start(arguments).wait(seconds: 60)
            #expect(!run.timedOut, "\(arguments[0]) hung on the FIFO")
            #expect(run.status == 9, "\(arguments[0]): \(run.output.prefix(600))")
            #expect(run.output.contains("base.tar.zst"), "\(arguments[0]): \(run.output.prefix(600))")
        }
        #expect(FileTree.children(destination).isEmpty, "left: \(FileTree.paths(destination).prefix(10))")
    }

    /// A refused restore says one thing: with a recovery target, the base-backup choice (and
    /// any archive_mode note) used to come first although nothing was restored.
    @Test func aRefusedRestorePrintsOneLine() throws {
        let (_, target) = try damagedTarget { backup in
            let record = try FaultInjectionTests.readRecord(backup)
            let segment = try #require((record["wal_segments"] as? [String])?.first)
            try BackupTampering.rewrite(backup + "/pg_wal.tar.zst") { tar in
                let member = try #require(try RawTar.member(segment, in: tar), "no \(segment)")
                for offset in 24..<32 { tar[member.dataOffset + offset] ^= 0x5A }
            }
        }
        defer { try? FileManager.default.removeItem(atPath: target) }
        let destination = try TemporaryDirectory.make(prefix: "pgsnap-refusal-dest-")
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let run = try Pgsnap.run([
            "restore", "latest", "--target", target, "--pgdata", destination + "/pgdata",
            "--tablespace", "fast=\(destination)/fast", "--target-name", "before_upgrade",
            "--restore-command", "cp /nonexistent/%f %p",
        ])
        #expect(run.status == 9, "\(run.output.prefix(600))")
        #expect(stderrLines(run).count == 1, "\(run.output.prefix(900))")
        #expect(!run.output.contains("restoring the latest backup"), "\(run.output.prefix(600))")
        #expect(FileTree.children(destination).isEmpty, "left: \(FileTree.paths(destination).prefix(10))")
    }

    /// `/tmp/x` holds a running cluster in `/tmp/x/data`; `/tmp/alias` is a bind mount of
    /// `/tmp/x`. Restoring into the alias with --overwrite must be refused as in use (exit 10),
    /// never "not empty", and the live cluster must be untouched.
    @Test func aBindMountOfADirectoryHoldingALiveClusterIsInUse() throws {
        let shared = try SharedBackup.get()
        try withCluster(15) { cluster in
            try cluster.psql("CREATE TABLE alive AS SELECT generate_series(1, 100) g")
            let alias = try TemporaryDirectory.make(prefix: "pgsnap-refusal-alias-")
            defer { try? FileManager.default.removeItem(atPath: alias) }
            let mount = Command.run("/bin/mount", ["--bind", cluster.root, alias])
            try #require(mount.status == 0, "mount --bind: \(mount.output)")
            defer { _ = Command.run("/bin/umount", [alias]) }
            let tablespace = try TemporaryDirectory.make(prefix: "pgsnap-refusal-dest-")
            defer { try? FileManager.default.removeItem(atPath: tablespace) }
            let before = FileTree.children(cluster.dataDirectory)
            let run = try Pgsnap.run([
                "restore", shared.id, "--target", shared.target, "--pgdata", alias, "--overwrite",
                "--tablespace", "fast=\(tablespace)/fast",
            ])
            #expect(run.status == 10, "\(run.output.prefix(600))")
            #expect(
                run.output.contains("contains the data directory of the PostgreSQL server"), "\(run.output.prefix(600))"
            )
            #expect(!run.output.contains("--overwrite to"), "\(run.output.prefix(600))")
            #expect(FileTree.children(cluster.dataDirectory) == before)
            #expect(try cluster.psql("SELECT count(*) FROM alive") == "100")
            #expect(FileTree.isAbsentOrEmpty(tablespace + "/fast"))
        }
    }
}

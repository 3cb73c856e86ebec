import Foundation
import PostgresFormat
import Testing

/// `pgsnap archive-push` as the archive_command of real servers, run by them as postgres, and
/// `archive-get` giving the segments back (issue 11, item 1).
@Suite("WAL archive on real servers", .serialized, .integration)
struct WALArchiveCommandTests {
    /// Under pgbench load every segment is archived, silently, and comes back byte for byte; a
    /// retry of the same segment succeeds; other content under an archived name, and another
    /// cluster's segment, are refused with exit 14 and change nothing; a missing file is a quiet 15.
    @Test(arguments: PostgresInstallation.required)
    func archivesUnderLoadAndRefusesWhatIsNotThisClustersWAL(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.initializePgbench(scale: 1)
            try Self.load(cluster, rounds: 4)
            try fixture.waitUntilArchived(cluster)
            let compared = try fixture.verify(against: cluster)
            #expect(compared >= 3, "compared \(compared) segments with pg_wal")
            let stray = try fixture.strayFiles()
            #expect(stray.isEmpty, "\(stray)")
            let log = try String(contentsOfFile: cluster.root + "/server.log", encoding: .utf8)
            #expect(!log.contains("pgsnap:") && !log.contains("archive command failed"), "\(log.suffix(2000))")

            let name = try #require(try fixture.archivedNames().last { WALFileName.isSegmentName($0) })
            try Self.checkRetryAndConflict(fixture, cluster: cluster, name: name)
            try Self.checkOtherCluster(fixture, major: major)

            let missing = fixture.pgsnap(["archive-get", "0000000100000000000000FE", cluster.root + "/x"])
            #expect(missing.status == 15 && missing.output.isEmpty, "\(missing.status) '\(missing.output)'")
        }
    }

    /// pgbench transactions and a WAL switch after each round.
    static func load(_ cluster: TestCluster, rounds: Int) throws {
        for _ in 0..<rounds {
            try Command.output(
                cluster.installation.tool("pgbench"),
                ["-h", cluster.socketDirectory, "-p", "\(cluster.port)", "-n", "-c", "2", "-t", "300", "postgres"],
                asUser: TestCluster.user)
            try cluster.psql("select pg_switch_wal()")
        }
    }

    private static func checkRetryAndConflict(_ fixture: WALArchiveFixture, cluster: TestCluster, name: String) throws {
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-walpush-", owner: TestCluster.user)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // What an archive-get killed mid-write leaves: the next one removes it.
        let abandoned = scratch + "/.pgsnap-archive-get.99999.tmp"
        try Data(count: 8192).write(to: URL(fileURLWithPath: abandoned))
        try Command.output("/bin/chown", [TestCluster.user, abandoned])
        let fetched = fixture.pgsnap(["archive-get", name, scratch + "/" + name])
        try #require(fetched.status == 0, "\(fetched.output)")
        #expect(!FileManager.default.fileExists(atPath: abandoned), "killed archive-get's temporary left")
        let again = fixture.pgsnap(["archive-push", scratch + "/" + name])
        #expect(again.status == 0 && again.output.isEmpty, "same content again: \(again.status) \(again.output)")

        let stored = try #require(
            try FileManager.default.subpathsOfDirectory(atPath: fixture.archive).first { $0.hasSuffix(name + ".zst") })
        let before = FileManager.default.contents(atPath: fixture.archive + "/" + stored)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: scratch + "/" + name))
        try handle.seek(toOffset: 8192 + 100)
        try handle.write(contentsOf: Data([0x5A, 0xA5]))
        try handle.close()
        let different = fixture.pgsnap(["archive-push", scratch + "/" + name])
        #expect(different.status == 14, "different content: \(different.status) \(different.output)")
        #expect(different.output.contains("already archived") && different.output.contains(name), "\(different.output)")
        #expect(FileManager.default.contents(atPath: fixture.archive + "/" + stored) == before, "original untouched")
    }

    /// A segment of another cluster, under a name this archive does not hold yet, is refused.
    private static func checkOtherCluster(_ fixture: WALArchiveFixture, major: Int) throws {
        try withCluster(major) { other in
            try other.psql("create table t (x int); insert into t values (1)")
            let segment = try other.psql("select pg_walfile_name(pg_current_wal_lsn())")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let before = try fixture.archivedNames()
            let run = fixture.pgsnap(["archive-push", other.dataDirectory + "/pg_wal/" + segment])
            #expect(run.status == 14, "other cluster's \(segment): \(run.status) \(run.output)")
            #expect(run.output.contains("belongs to cluster"), "\(run.output)")
            let after = try fixture.archivedNames()
            #expect(after == before, "nothing archived")
            let stray = try fixture.strayFiles()
            #expect(stray.isEmpty, "\(stray)")
        }
    }

    /// archive_command goes through a wrapper that SIGKILLs two pushes in three at a random
    /// moment (1 to 150 ms in) and reports a plain failure; the server retries, and the archive ends up complete, every
    /// segment verifying, no temporary left and no cut file that looks archived.
    @Test(arguments: PostgresInstallation.required)
    func survivesSIGKILLMidWrite(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        let wrapper = fixture.configDirectory + "/kill-sometimes.sh"
        let kills = fixture.configDirectory + "/kills"
        try Data().write(to: URL(fileURLWithPath: kills))
        try Command.output("/bin/chown", [TestCluster.user, kills])
        try """
        #!/bin/sh
        if [ "$(shuf -i 0-2 -n 1)" -ne 0 ]; then
            timeout -s KILL "$(printf '0.%03d' "$(shuf -i 1-150 -n 1)")" "$@"
            status=$?
            # timeout kills itself with the same signal, and an archive_command dying of a signal
            # would make the archiver exit (FATAL): report the kill as a plain failure instead.
            if [ $status -eq 137 ]; then echo killed >> \(kills); exit 1; fi
            exit $status
        fi
        exec "$@"
        """.write(toFile: wrapper, atomically: false, encoding: .utf8)
        chmod(wrapper, 0o755)
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand(wrapper: wrapper)]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.initializePgbench(scale: 1)
            try Self.load(cluster, rounds: 8)
            try fixture.waitUntilArchived(cluster, seconds: 240)
            let failed = try cluster.psql("select failed_count from pg_stat_archiver")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let killed = try String(contentsOfFile: kills, encoding: .utf8).split(separator: "\n").count
            #expect(killed >= 3 && (Int(failed) ?? 0) >= killed, "\(killed) pushes killed, failed_count \(failed)")
            let archived = try fixture.archivedNames()
            #expect(archived.count >= 8, "\(archived)")
            try fixture.verify(against: cluster)
            let stray = try fixture.strayFiles()
            #expect(stray.isEmpty, "left behind: \(stray)")
        }
    }

    /// The archive on a full file system: archive-push fails with one clear line and leaves no
    /// file behind, the server keeps the segment; once space is back the archive catches up.
    @Test(arguments: PostgresInstallation.required)
    func fullArchiveFileSystemFailsCleanlyThenCatchesUp(_ major: Int) throws {
        try SmallFileSystem.withMounted(megabytes: 32, prefix: "pgsnap-walfull-") { mountPoint, image in
            chmod(image, 0o711)
            chmod(mountPoint, 0o711)
            let fixture = try WALArchiveFixture(target: mountPoint + "/target")
            defer { fixture.remove() }
            try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
                try fixture.bind(to: cluster)
                let filler = mountPoint + "/filler"
                try Command.output("/usr/bin/fallocate", ["-l", "\(Self.freeBytes(mountPoint) - 300_000)", filler])
                try cluster.psql(
                    "create table noise as select md5(random()::text) || md5(random()::text) as t "
                        + "from generate_series(1, 200000); select pg_switch_wal()")
                let failure = try Self.waitForFailure(cluster)
                #expect(failure.contains("No space left on device"), "\(failure)")
                let failedWAL = try cluster.psql("select last_failed_wal from pg_stat_archiver")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let archived = try fixture.archivedNames()
                #expect(!failedWAL.isEmpty && !archived.contains(failedWAL), "\(failedWAL) in \(archived)")
                #expect(FileManager.default.fileExists(atPath: cluster.dataDirectory + "/pg_wal/" + failedWAL))
                let stray = try fixture.strayFiles()
                #expect(stray.isEmpty, "left behind: \(stray)")
                try FileManager.default.removeItem(atPath: filler)
                try fixture.waitUntilArchived(cluster)
                try fixture.verify(against: cluster)
            }
        }
    }

    static func freeBytes(_ path: String) throws -> Int {
        var info = statvfs()
        try #require(statvfs(path, &info) == 0)
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Waits for pg_stat_archiver to count a failure; returns the server log's pgsnap line.
    static func waitForFailure(_ cluster: TestCluster) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let log = try String(contentsOfFile: cluster.root + "/server.log", encoding: .utf8)
            if let line = log.split(separator: "\n").first(where: { $0.contains("pgsnap: ") }) { return String(line) }
            usleep(200_000)
        }
        Issue.record("archive-push never failed")
        return ""
    }
}

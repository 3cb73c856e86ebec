import Foundation
import Testing

@testable import Backup

/// `check` answers for the next backup, not only for the server and the volumes: a held run
/// lock, a refused hook_directory, a failing archiver with wal_archive, a target too small.
extension CheckCommandTests {
    private func check(_ cluster: TestCluster, target: String, _ extra: [String] = []) throws -> (Pgsnap.Run, [String])
    {
        let run = try Pgsnap.run(
            ["check", "--json", "--snapshot", "none", "--target", target, "--conninfo", cluster.conninfo]
                + extra)
        let problems = (try run.json()["problems"] as? [[String: Any]]) ?? []
        return (run, problems.compactMap { $0["code"] as? String })
    }

    private func text(_ cluster: TestCluster, target: String, _ extra: [String]) throws -> Pgsnap.Run {
        try Pgsnap.run(["check", "--snapshot", "none", "--target", target, "--conninfo", cluster.conninfo] + extra)
    }

    @Test func aHeldRunLockIsAProblem() throws {
        try withCluster(15) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            let descriptor = fixture.holdLock()
            let (run, codes) = try check(cluster, target: target, ["--run-directory", runDirectory])
            #expect(run.status == 7, "\(run.output)")
            #expect(codes == ["run_lock_held"])
            let plain = try text(cluster, target: target, ["--run-directory", runDirectory])
            #expect(plain.output.contains("PROBLEM: another pgsnap run holds the run lock"), "\(plain.output)")
            #expect(!plain.output.contains("OK: a backup can run"))
            close(descriptor)
            // The probe took nothing: once the run is over, check passes again.
            #expect(try check(cluster, target: target, ["--run-directory", runDirectory]).0.status == 0)
        }
    }

    @Test func aHookDirectoryBackupWouldRefuseIsAProblem() throws {
        try withCluster(15) { cluster in
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            let hooks = try TemporaryDirectory.make(prefix: "pgsnap-hooks-")
            defer {
                try? FileManager.default.removeItem(atPath: target)
                try? FileManager.default.removeItem(atPath: hooks)
            }
            chmod(hooks, 0o777)
            let (run, codes) = try check(cluster, target: target, ["--hook-directory", hooks])
            #expect(run.status == 3, "\(run.output)")
            #expect(codes == ["hook_directory"])
            let problem = try #require((try run.json()["problems"] as? [[String: Any]])?.first)
            #expect((problem["message"] as? String)?.contains("writable by group or others") == true, "\(problem)")
            #expect((problem["hint"] as? String)?.contains("chmod go-w") == true, "\(problem)")
            chmod(hooks, 0o700)
            #expect(try check(cluster, target: target, ["--hook-directory", hooks]).0.status == 0)
        }
    }

    @Test func aFailingArchiverIsAProblemWithWalArchive() throws {
        try withCluster(15, settings: ["archive_mode = on", "archive_command = 'false'"]) { cluster in
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            let archive = try TemporaryDirectory.make(prefix: "pgsnap-wal-archive-")
            defer {
                try? FileManager.default.removeItem(atPath: target)
                try? FileManager.default.removeItem(atPath: archive)
            }
            #expect(try check(cluster, target: target, ["--wal-archive", archive]).0.status == 0)
            try cluster.psql("CREATE TABLE t AS SELECT 1 AS x")
            try cluster.psql("SELECT pg_switch_wal()")
            let failed = try eventually(within: 30) {
                try cluster.psql("SELECT failed_count > 0 FROM pg_stat_archiver") == "t"
            }
            #expect(failed, "the archiver never failed")
            let (run, codes) = try check(cluster, target: target, ["--wal-archive", archive])
            #expect(run.status == 4, "\(run.output)")
            #expect(codes == ["archiver_failing"])
            let failedWAL = try cluster.psql("SELECT last_failed_wal FROM pg_stat_archiver")
            let plain = try text(cluster, target: target, ["--wal-archive", archive])
            #expect(plain.output.contains("PROBLEM: the server's WAL archiving is failing"), "\(plain.output)")
            #expect(plain.output.contains("last_failed_wal \(failedWAL)"), "\(plain.output)")
            #expect(plain.output.contains("fix archive_command"), "\(plain.output)")
            // Without wal_archive nothing waits for the archiver.
            #expect(try check(cluster, target: target).0.status == 0)
        }
    }

    @Test func aTargetTooSmallForTheDatabasesIsAProblem() throws {
        try SmallFileSystem.withMounted(prefix: "pgsnap-target-img-") { mountPoint, _ in
            try withCluster(15) { cluster in
                try cluster.psql("CREATE TABLE noise AS SELECT g, md5(g::text) AS t FROM generate_series(1, 200000) g")
                let (run, codes) = try check(cluster, target: mountPoint)
                #expect(run.status == 6, "\(run.output)")
                #expect(codes == ["target_too_small"])
                let plain = try text(cluster, target: mountPoint, [])
                #expect(plain.output.contains("the next backup needs about"), "\(plain.output)")
                #expect(plain.output.contains("the databases' size"), "\(plain.output)")
            }
        }
    }

    @Test func aTargetTooSmallForWhatTheLastBackupWroteIsAProblem() throws {
        try withCluster(15) { cluster in
            let fixture = try TargetFixture()
            let id = try fixture.complete(daysAgo: 1)
            // The last backup wrote more than any test machine's free space.
            var record = TargetFixture.record(id: id, label: "nightly", start: fixture.date(daysAgo: 1))
            record.systemIdentifier = try cluster.psql("SELECT system_identifier FROM pg_control_system()")
            record.bytesWritten = 1 << 52
            record.bytesRead = 1 << 53
            try record.encoded().write(to: URL(fileURLWithPath: fixture.target + "/" + id + "/backup.json"))
            let (run, codes) = try check(cluster, target: fixture.target, ["--run-directory", fixture.runDirectory])
            #expect(run.status == 6, "\(run.output)")
            #expect(codes.contains("target_too_small"), "\(codes)")
            let plain = try text(cluster, target: fixture.target, ["--run-directory", fixture.runDirectory])
            #expect(plain.output.contains("what backup \(id) wrote"), "\(plain.output)")
            #expect(plain.output.contains("4.0 PiB"), "\(plain.output)")
        }
    }
}

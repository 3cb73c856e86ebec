import Foundation
import Testing

/// The two waits inside the server that once held a backup (and the run lock) for minutes
/// whatever signal arrived: `pg_backup_stop` waiting for WAL archiving, `pg_backup_start`
/// waiting for a spread checkpoint. And what the server says on a good run stays off stderr.
extension BackupCommandTests {
    /// A cluster whose archiver succeeds (copying into `archive`) or always fails, and a wal_archive directory for pgsnap.
    private func withArchivingCluster(
        _ major: Int, archiverSucceeds: Bool,
        _ body: (TestCluster, _ archive: String, _ target: String, _ runDirectory: String) throws -> Void
    )
        throws
    {
        let archive = try TemporaryDirectory.make(prefix: "pgsnap-wal-archive-", owner: TestCluster.user)
        let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
        let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-target-run-")
        defer {
            for path in [archive, target, runDirectory] { try? FileManager.default.removeItem(atPath: path) }
        }
        // A failing archiver ("false") or one that copies into `archive`.
        let command = archiverSucceeds ? "cp %p \(archive)/%f" : "false"
        try withCluster(major, settings: ["archive_mode = on", "archive_command = '\(command)'"]) {
            cluster in
            try body(cluster, archive, target, runDirectory)
        }
    }

    private func backupArguments(_ cluster: TestCluster, target: String, runDirectory: String, archive: String)
        -> [String]
    {
        [
            "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory, "--conninfo",
            cluster.conninfo,
            "--wal-archive", archive,
        ]
    }

    /// Nothing of the run is left: no session, no slot, no `.partial`, the lock free.
    private func expectNothingLeft(
        _ cluster: TestCluster, target: String, runDirectory: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let sessionGone = try eventually(within: 2) {
            try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'") == "0"
        }
        #expect(sessionGone, "a pgsnap session is still in pg_stat_activity", sourceLocation: sourceLocation)
        #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0", sourceLocation: sourceLocation)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        #expect(!names.contains { $0.hasSuffix(".partial") }, "\(names)", sourceLocation: sourceLocation)
        let descriptor = open(runDirectory + "/pgsnap.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0, "the run lock is still held", sourceLocation: sourceLocation)
    }

    @Test(arguments: PostgresInstallation.required)
    func sigtermDuringTheArchiveWaitExits8WithinFiveSeconds(major: Int) throws {
        try withArchivingCluster(major, archiverSucceeds: false) { cluster, archive, target, runDirectory in
            // The archiver has nothing to fail on yet, so check lets the backup start.
            #expect(try cluster.psql("SELECT failed_count FROM pg_stat_archiver") == "0")
            // The default wal_archive_timeout (60 s) is far longer than the test waits.
            let process = try Pgsnap.start(
                backupArguments(cluster, target: target, runDirectory: runDirectory, archive: archive))
            let waiting = try cluster.waitUntilPgsnapRuns("pg_backup_stop", within: 60)
            #expect(waiting, "the backup never reached pg_backup_stop")
            Thread.sleep(forTimeInterval: 1)
            let signalled = Date()
            kill(process.pid, SIGTERM)
            let (status, output) = process.wait(atMost: 60)
            let seconds = Date().timeIntervalSince(signalled)
            #expect(status == 8, "\(output)")
            #expect(seconds < 5, "exit took \(seconds) s after SIGTERM")
            #expect(output.split(separator: "\n").count == 1, "one line: \(output)")
            #expect(output.contains("interrupted by signal 15"), "\(output)")
            #expect(try FailedRun.onlyRecord(in: target)["exit_status"] as? Int == 8)
            try expectNothingLeft(cluster, target: target, runDirectory: runDirectory)
        }
    }

    @Test func aFailingArchiverFailsTheBackupAfterWalArchiveTimeout() throws {
        try withArchivingCluster(15, archiverSucceeds: false) { cluster, archive, target, runDirectory in
            #expect(try cluster.psql("SELECT failed_count FROM pg_stat_archiver") == "0")
            let process = try Pgsnap.start(
                backupArguments(cluster, target: target, runDirectory: runDirectory, archive: archive)
                    + ["--wal-archive-timeout", "3"])
            let (status, output) = process.wait(atMost: 120)
            #expect(status == 4, "\(output)")
            let lines = output.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(output)")
            let failedWAL = try cluster.psql("SELECT last_failed_wal FROM pg_stat_archiver")
            #expect(!failedWAL.isEmpty)
            #expect(lines.first?.contains("wal_archive_timeout (3 s)") == true, "\(output)")
            #expect(lines.first?.contains("last_failed_wal \(failedWAL)") == true, "\(output)")
            #expect(try FailedRun.onlyRecord(in: target)["exit_status"] as? Int == 4)
            try expectNothingLeft(cluster, target: target, runDirectory: runDirectory)
        }
    }

    @Test func sigtermDuringASpreadCheckpointExits8WithinFiveSeconds() throws {
        let settings = ["checkpoint_timeout = '1h'", "checkpoint_completion_target = 0.9", "max_wal_size = '4GB'"]
        try withCluster(15, settings: settings) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            // Thousands of dirty buffers: a spread checkpoint writes one per 100 ms at most.
            try cluster.psql("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS t FROM generate_series(1, 100000) g")
            try cluster.psql("UPDATE filler SET g = g + 1")
            let process = try Pgsnap.start([
                "backup", "--snapshot", "none", "--target", target, "--run-directory",
                runDirectory, "--conninfo", cluster.conninfo, "--checkpoint", "spread",
            ])
            #expect(
                try cluster.waitUntilPgsnapRuns("pg_backup_start", within: 60),
                "the backup never reached pg_backup_start")
            Thread.sleep(forTimeInterval: 1)
            #expect(
                try cluster.waitUntilPgsnapRuns("pg_backup_start", within: 0), "the checkpoint was not slow enough")
            let signalled = Date()
            kill(process.pid, SIGTERM)
            let (status, output) = process.wait(atMost: 60)
            let seconds = Date().timeIntervalSince(signalled)
            #expect(status == 8, "\(output)")
            #expect(seconds < 5, "exit took \(seconds) s after SIGTERM")
            #expect(output.split(separator: "\n").count == 1, "one line: \(output)")
            try expectNothingLeft(cluster, target: target, runDirectory: runDirectory)
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func aSuccessfulWalArchiveBackupPrintsNothingOnStderr(major: Int) throws {
        try withArchivingCluster(major, archiverSucceeds: true) {
            cluster, archive, target, runDirectory in
            let run = try Pgsnap.run(
                backupArguments(cluster, target: target, runDirectory: runDirectory, archive: archive))
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stderr.isEmpty, "stderr: \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").count == 1, "the summary line only: \(run.stdout)")
            // The server's notice went to the log, marked as the server's.
            let verbose = try Pgsnap.run(
                backupArguments(cluster, target: target, runDirectory: runDirectory, archive: archive)
                    + ["--log-level", "info"])
            #expect(verbose.status == 0, "\(verbose.output)")
            #expect(
                verbose.lines(naming: "server: NOTICE: all required WAL segments have been archived").count == 1,
                "\(verbose.stderr)")
        }
    }
}

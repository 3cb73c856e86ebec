import Foundation
import Testing

/// `pgsnap freeze` / `thaw` / `freeze --status` on real servers: one held session across two
/// short processes, its record, and every way a freeze ends without a thaw (issue 10).
@Suite("pgsnap freeze and thaw", .serialized, .integration)
struct FreezeCommandTests {
    /// A cluster, a target and a run directory; `arguments` adds them to a command.
    struct Bench {
        let cluster: TestCluster
        let fixture: TargetFixture

        var common: [String] { ["--target", fixture.target, "--run-directory", fixture.runDirectory] }

        func freeze(_ extra: [String] = []) throws -> Pgsnap.Run {
            try Pgsnap.run(["freeze", "--conninfo", cluster.conninfo, "--timeout", "60"] + common + extra)
        }

        func thaw(_ extra: [String] = []) throws -> Pgsnap.Run {
            try Pgsnap.run(["thaw"] + common + extra)
        }

        func status() throws -> Pgsnap.Run {
            try Pgsnap.run(["freeze", "--status"] + common)
        }

        var sessions: String {
            get throws { try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'") }
        }

        var slots: String {
            get throws { try cluster.psql("SELECT count(*) FROM pg_replication_slots") }
        }

        func entries(suffix: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: fixture.target)) ?? []).filter {
                $0.hasSuffix(suffix)
            }
        }

        /// No session, slot, partial record, socket or state file is left, and the lock is free.
        func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let gone = try eventually(within: 3) { try sessions == "0" }
            #expect(gone, "a pgsnap session is still open", sourceLocation: sourceLocation)
            #expect(try slots == "0", "a replication slot is left", sourceLocation: sourceLocation)
            #expect(
                entries(suffix: ".partial").isEmpty, "\(entries(suffix: ".partial"))", sourceLocation: sourceLocation)
            for name in ["freeze.sock", "freeze.json"] {
                #expect(
                    access(fixture.runDirectory + "/" + name, F_OK) != 0, "\(name) is left",
                    sourceLocation: sourceLocation)
            }
            let descriptor = open(fixture.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            defer { close(descriptor) }
            #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0, "the run lock is held", sourceLocation: sourceLocation)
        }
    }

    func withBench(_ major: Int, settings: [String] = [], _ body: (Bench) throws -> Void) throws {
        try withCluster(major, settings: settings) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            try body(Bench(cluster: cluster, fixture: fixture))
        }
    }

    func oneLine(_ run: Pgsnap.Run) -> Bool {
        run.output.split(separator: "\n").count == 1
    }

    @Test(arguments: PostgresInstallation.required)
    func freezeAndThawRecordTheStorageSnapshotsWindow(major: Int) throws {
        try withBench(major) { bench in
            let location = try bench.cluster.createTablespace("fast")
            try bench.cluster.psql("CREATE TABLE t TABLESPACE fast AS SELECT generate_series(1, 1000) AS i")
            let started = Date()
            let freeze = try bench.freeze(["--json", "--label", "array snapshot"])
            let latency = Date().timeIntervalSince(started)
            #expect(freeze.status == 0, "\(freeze.output)")
            let frozen = try freeze.json()
            let id = try #require(frozen["id"] as? String)
            let startLSN = try #require(frozen["start_lsn"] as? String)
            #expect(latency < 5, "freeze took \(latency) s")
            // Backup mode is active on the holder's one session, WAL reserved by its slot.
            #expect(try bench.sessions == "1")
            #expect(try bench.slots == "1")
            let status = try bench.status()
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains(id) && status.stdout.contains(startLSN), "\(status.stdout)")
            // The storage snapshot happens here; the server goes on writing across segments.
            try bench.cluster.psql("INSERT INTO t SELECT generate_series(1, 1000)")
            try bench.cluster.psql("SELECT pg_switch_wal()")
            try bench.cluster.psql("INSERT INTO t SELECT generate_series(1, 1000)")
            Thread.sleep(forTimeInterval: 1)
            let thawStarted = Date()
            let thaw = try bench.thaw(["--json", "--snapshot-name", "array-snap-1"])
            let thawSeconds = Date().timeIntervalSince(thawStarted)
            #expect(thaw.status == 0, "\(thaw.output)")
            let thawed = try thaw.json()
            let window = try #require(thawed["window_seconds"] as? Double)
            #expect(window >= 1 && window < 30, "window \(window) s")
            print(
                "freeze latency \(latency) s, thaw \(thawSeconds) s, backup-mode window \(window) s (PostgreSQL \(major))"
            )
            try bench.expectNothingLeft()

            let directory = bench.fixture.target + "/" + id
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            #expect(files == ["backup.json", "backup_label", "pg_wal.tar.zst", "tablespace_map"], "\(files)")
            let record = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: directory + "/backup.json")))
                    as? [String: Any])
            #expect(record["kind"] as? String == "external")
            #expect(record["status"] as? String == "complete")
            #expect(record["label"] as? String == "array snapshot")
            #expect(record["start_lsn"] as? String == startLSN)
            #expect(record["stop_lsn"] as? String == thawed["stop_lsn"] as? String)
            #expect(record["timeline"] as? Int == 1)
            let systemIdentifier = try bench.cluster.psql("SELECT system_identifier FROM pg_control_system()")
            #expect(record["system_identifier"] as? String == systemIdentifier)
            let segments = try #require(record["wal_segments"] as? [String])
            #expect(segments.count >= 2, "the switch put the window across segments: \(segments)")
            let external = try #require(record["external"] as? [String: Any])
            #expect(external["snapshot_name"] as? String == "array-snap-1")
            let paths = try #require(external["frozen_paths"] as? [String])
            #expect(paths.contains(bench.cluster.dataDirectory) && paths.contains(location), "\(paths)")
            #expect((external["volumes"] as? [String])?.isEmpty == false)
            let tablespaces = try #require(record["tablespaces"] as? [[String: Any]])
            #expect(tablespaces.first?["location"] as? String == location)
            #expect(abs((record["backup_mode_seconds"] as? Double ?? 0) - window) < 0.001)

            let label = try String(contentsOfFile: directory + "/backup_label", encoding: .utf8)
            #expect(label.contains("START WAL LOCATION: \(startLSN)"), "\(label)")
            #expect(label.contains("LABEL: array snapshot"), "\(label)")
            let oid = try bench.cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
            let map = try String(contentsOfFile: directory + "/tablespace_map", encoding: .utf8)
            #expect(map.contains("\(oid) \(location)"), "\(map)")
            let members = try Command.output(
                "/bin/sh", ["-c", "zstd -dc '\(directory)/pg_wal.tar.zst' | tar -tf -"]
            ).split(separator: "\n").map(String.init)
            for segment in segments {
                #expect(members.contains(segment), "\(segment) not in \(members)")
                #expect(members.contains("archive_status/\(segment).done"), "\(members)")
            }
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func theWatchdogEndsAFreezeThatIsNeverThawed(major: Int) throws {
        try withBench(major) { bench in
            let freeze = try bench.freeze(["--timeout", "2"])
            #expect(freeze.status == 0, "\(freeze.output)")
            #expect(try bench.sessions == "1")
            Thread.sleep(forTimeInterval: 2)
            let ended = try eventually(within: 5) { try bench.sessions == "0" }
            #expect(ended, "the holder's session outlived the timeout")
            #expect(try bench.slots == "0")
            // The server ends the session when the holder stops backup mode; the holder then
            // turns its partial record into the failed one, a moment later.
            let recorded = try eventually(within: 5) {
                bench.entries(suffix: ".failed").count == 1 && bench.entries(suffix: ".partial").isEmpty
            }
            #expect(recorded, "no <id>.failed: \(bench.entries(suffix: ""))")
            let failed = try FailedRun.onlyRecord(in: bench.fixture.target)
            #expect((failed["error"] as? String)?.contains("thaw never came") == true, "\(failed)")
            #expect(failed["exit_status"] as? Int == 13)
            // The thaw that comes too late learns why, once, in one line.
            let late = try bench.thaw()
            #expect(late.status == 13, "\(late.output)")
            #expect(oneLine(late) && late.output.contains("thaw never came"), "\(late.output)")
            try bench.expectNothingLeft()
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func aKilledHolderIsReportedAndItsLeftoversRemoved(major: Int) throws {
        try withBench(major) { bench in
            let freeze = try bench.freeze(["--json"])
            #expect(freeze.status == 0, "\(freeze.output)")
            let pid = try #require(try freeze.json()["pid"] as? Int)
            kill(pid_t(pid), SIGKILL)
            // The server ends backup mode and drops the temporary slot with the session.
            #expect(try eventually(within: 5) { try bench.sessions == "0" })
            #expect(bench.entries(suffix: ".partial").count == 1, "the killed holder's partial record")
            let thaw = try bench.thaw()
            #expect(thaw.status == 13, "\(thaw.output)")
            #expect(oneLine(thaw) && thaw.output.contains("died"), "\(thaw.output)")
            try bench.expectNothingLeft()
            // And the next freeze works.
            #expect(try bench.freeze().status == 0)
            #expect(try bench.thaw().status == 0)
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func aSecondFreezeIsRefusedWith7AndTheFirstStaysHeld(major: Int) throws {
        try withBench(major) { bench in
            #expect(try bench.freeze().status == 0)
            let second = try bench.freeze()
            #expect(second.status == 7, "\(second.output)")
            #expect(oneLine(second) && second.output.contains("holds"), "\(second.output)")
            #expect(try bench.status().status == 0, "the first freeze is still held")
            #expect(try bench.sessions == "1")
            let thaw = try bench.thaw()
            #expect(thaw.status == 0, "\(thaw.output)")
            #expect(bench.entries(suffix: ".failed").isEmpty, "the refused freeze recorded nothing")
            try bench.expectNothingLeft()
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func thawAndStatusWithoutAFreezeExit13(major: Int) throws {
        try withBench(major) { bench in
            for run in [try bench.thaw(), try bench.status()] {
                #expect(run.status == 13, "\(run.output)")
                #expect(oneLine(run) && run.output.contains("no freeze is held"), "\(run.output)")
            }
            let json = try bench.thaw(["--json"])
            #expect(try json.json()["code"] as? String == "freeze.not_frozen")
            try bench.expectNothingLeft()
        }
    }

    /// Thousands of dirty buffers and a spread checkpoint: pg_backup_start waits for minutes.
    private static let slowCheckpoint = [
        "checkpoint_timeout = '1h'", "checkpoint_completion_target = 0.9", "max_wal_size = '4GB'",
    ]

    private func dirty(_ cluster: TestCluster) throws {
        try cluster.psql("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS t FROM generate_series(1, 100000) g")
        try cluster.psql("UPDATE filler SET g = g + 1")
    }

    @Test(arguments: PostgresInstallation.required)
    func freezeWhileABackupRunsExits7(major: Int) throws {
        try withBench(major, settings: Self.slowCheckpoint) { bench in
            try dirty(bench.cluster)
            let backup = try Pgsnap.start(
                ["backup", "--snapshot", "none", "--conninfo", bench.cluster.conninfo, "--checkpoint", "spread"]
                    + bench.common)
            #expect(try bench.cluster.waitUntilPgsnapRuns("pg_backup_start", within: 60))
            let freeze = try bench.freeze()
            #expect(freeze.status == 7, "\(freeze.output)")
            #expect(oneLine(freeze) && freeze.output.contains("holds"), "\(freeze.output)")
            #expect(bench.entries(suffix: ".failed").isEmpty, "the refused freeze recorded nothing")
            #expect(access(bench.fixture.runDirectory + "/freeze.sock", F_OK) != 0)
            kill(backup.pid, SIGTERM)
            let (status, output) = backup.wait(atMost: 60)
            #expect(status == 8, "\(output)")
            try bench.expectNothingLeft()
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func sigtermToFreezeDuringASpreadCheckpointExits8(major: Int) throws {
        try withBench(major, settings: Self.slowCheckpoint) { bench in
            try dirty(bench.cluster)
            let freeze = try Pgsnap.start(
                ["freeze", "--conninfo", bench.cluster.conninfo, "--checkpoint", "spread"] + bench.common)
            #expect(try bench.cluster.waitUntilPgsnapRuns("pg_backup_start", within: 60))
            Thread.sleep(forTimeInterval: 1)
            #expect(try bench.cluster.waitUntilPgsnapRuns("pg_backup_start", within: 0), "checkpoint too fast")
            let signalled = Date()
            kill(freeze.pid, SIGTERM)
            let (status, output) = freeze.wait(atMost: 60)
            let seconds = Date().timeIntervalSince(signalled)
            #expect(status == 8, "\(output)")
            #expect(seconds < 5, "exit took \(seconds) s after SIGTERM")
            #expect(
                output.split(separator: "\n").count == 1 && output.contains("interrupted by signal 15"), "\(output)")
            try bench.expectNothingLeft()
            #expect(try bench.thaw().status == 13)
        }
    }
}

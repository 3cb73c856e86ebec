import Foundation
import Testing

/// Faults injected into real `pgsnap backup` runs on one real cluster of each PostgreSQL version
/// (15, 16, 18): signals at
/// every stage (inside the `pg_backup_start` and `pg_backup_stop` waits too), a killed session,
/// a server restarted and crashed mid-copy, full, read-only and vanished targets, an archive
/// deleted mid-run, concurrent runs, failing and hanging hooks. After each one `FaultBench`
/// checks the documented exit status, exactly one line on stderr and that nothing is left
/// behind; the suite prints `fault injection: PostgreSQL N: N injected, M survived` per version.
@Suite("fault injection", .serialized, .integration)
struct FaultInjectionTests {
    @Test(arguments: PostgresInstallation.required)
    func everyInjectedFaultEndsCleanly(major: Int) throws {
        let ledger = FaultLedger(label: "PostgreSQL \(major)")
        try withCluster(major, settings: ["archive_mode = on", "archive_command = '/bin/true'"]) { cluster in
            try cluster.initializePgbench(scale: 10)
            // Random text that compresses about 2:1, so a backup cannot fit a tiny target.
            try cluster.psql(
                "CREATE TABLE noise AS SELECT g, md5(random()::text) || md5(random()::text) AS t FROM generate_series(1, 250000) g"
            )
            try cluster.createTablespace("fast")
            try cluster.psql("CREATE TABLE kept TABLESPACE fast AS SELECT g FROM generate_series(1, 5000) g")
            let good = try Self.takeGoodBackup(cluster)
            defer { try? FileManager.default.removeItem(atPath: good.target) }
            let bench = FaultBench(cluster: cluster, label: ledger.label)
            for fault in Self.signals + Self.server + Self.targets + Self.runs + Self.waits
                + Self.backupDirectoryFaults(good)
            {
                bench.run(fault, into: ledger)
            }
        }
        ledger.report()
        #expect(ledger.injected >= 20, "the suite injected \(ledger.injected) faults")
    }

    static func takeGoodBackup(_ cluster: TestCluster) throws -> GoodBackup {
        let target = try TemporaryDirectory.make(prefix: "pgsnap-fault-good-")
        let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-fault-good-run-")
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let run = try Pgsnap.run([
            "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
            "--conninfo", cluster.conninfo, "--compress-level", "1",
        ])
        try #require(run.status == 0, "\(run.output)")
        let id = try #require(try run.json()["id"] as? String)
        let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
        return GoodBackup(target: target, id: id, tablespaceOID: oid)
    }

    /// A slow copy (zstd level 19), so a fault lands while the archives are being written.
    static let slow = ["--compress-level", "19"]

    // MARK: - Signals at every stage

    static let signals: [FaultCase] = {
        var cases: [FaultCase] = []
        for (name, number) in [("SIGTERM", SIGTERM), ("SIGINT", SIGINT), ("SIGHUP", SIGHUP)] {
            cases.append(
                FaultCase(name: "\(name) in the pre-backup hook", expectedStatus: 8) { context in
                    let hooks = try HookDirectoryFixture.make(events: [])
                    defer { try? FileManager.default.removeItem(atPath: hooks) }
                    let started = hooks + ".started"
                    defer { unlink(started) }
                    try HookDirectoryFixture.write("pre-backup", "#!/bin/sh\ntouch '\(started)'\nsleep 60\n", in: hooks)
                    let process = try context.start(["--hook-directory", hooks])
                    context.wait("the pre-backup hook") { FileManager.default.fileExists(atPath: started) }
                    let (status, output, _) = context.signal(process, number)
                    return (status, output)
                })
            cases.append(
                FaultCase(name: "\(name) as backup mode starts", expectedStatus: 8) { context in
                    let process = try context.start(slow)
                    context.wait("the slot") { context.slotExists }
                    let (status, output, _) = context.signal(process, number)
                    return (status, output)
                })
            cases.append(
                FaultCase(name: "\(name) mid-copy", expectedStatus: 8) { context in
                    let process = try context.start(slow)
                    context.wait("the copy") { context.streaming }
                    let (status, output, seconds) = context.signal(process, number)
                    if seconds > 5 { context.problems.append("took \(Int(seconds)) s to exit after \(name)") }
                    return (status, output)
                })
        }
        cases.append(
            FaultCase(name: "SIGKILL mid-copy, then pgsnap cleanup", expectedStatus: 0, oneLine: false) { context in
                let process = try context.start(slow)
                context.wait("the copy") { context.streaming }
                let (killed, _, _) = context.signal(process, SIGKILL)
                if killed != 128 + SIGKILL { context.problems.append("SIGKILL gave \(killed)") }
                let cleanup = try Pgsnap.run([
                    "cleanup", "--snapshot", "none", "--target", context.target,
                    "--run-directory", context.runDirectory,
                ])
                return (cleanup.status, cleanup.output)
            })
        return cases
    }()

    // MARK: - The server goes away

    static let server: [FaultCase] = [
        FaultCase(name: "pg_terminate_backend of pgsnap's session mid-copy", expectedStatus: 4) { context in
            let process = try context.start(slow)
            context.wait("the copy") { context.streaming }
            try context.cluster.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgsnap'")
            return context.finish(process)
        },
        FaultCase(name: "server restarted mid-copy", expectedStatus: 4) { context in
            let process = try context.start(slow)
            context.wait("the copy") { context.streaming }
            try context.cluster.stop()
            try context.cluster.start()
            return context.finish(process)
        },
        FaultCase(name: "server crashed mid-copy", expectedStatus: 4) { context in
            let process = try context.start(slow)
            context.wait("the copy") { context.streaming }
            try Command.output(
                context.cluster.installation.tool("pg_ctl"),
                ["-D", context.cluster.dataDirectory, "-m", "immediate", "-w", "stop"], asUser: TestCluster.user)
            let result = context.finish(process)
            try context.cluster.start()
            return result
        },
    ]

    // MARK: - The target fails

    static let targets: [FaultCase] = [
        FaultCase(name: "target fills up", expectedStatus: 6) { context in
            var result: (Int32, String) = (-1, "")
            try SmallFileSystem.withMounted(prefix: "pgsnap-fault-img-") { mountPoint, _ in
                context.target = mountPoint
                result = try context.run(["--compress-level", "1"])
                // The failed-run record is all that may stay.
                let names = try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter {
                    $0 != "lost+found" && $0 != "pgsnap.target"
                }
                if !names.allSatisfy({ $0.hasSuffix(".failed") }) {
                    context.problems.append("left in the full target: \(names)")
                }
            }
            return result
        },
        FaultCase(name: "target read-only", expectedStatus: 6) { context in
            var result: (Int32, String) = (-1, "")
            try SmallFileSystem.withMounted(prefix: "pgsnap-fault-img-") { mountPoint, _ in
                try Command.output("/bin/mount", ["-o", "remount,ro", mountPoint])
                context.target = mountPoint
                result = try context.run()
                if (try? context.cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'"))
                    != "0"
                {
                    context.problems.append("a session was opened for a target that cannot be written")
                }
            }
            return result
        },
        FaultCase(name: "target removed mid-copy", expectedStatus: 6) { context in
            let process = try context.start(slow)
            context.wait("the copy") { context.streaming }
            try FileManager.default.removeItem(atPath: context.target)
            let result = context.finish(process)
            if FileManager.default.fileExists(atPath: context.target) {
                context.problems.append("the removed target was recreated")
            }
            return result
        },
        FaultCase(name: "archive deleted from the partial directory mid-run", expectedStatus: 6) { context in
            let process = try context.start(["--compress-level", "1"])
            var deleted = false
            context.wait("base.tar.zst in the partial directory") {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: context.target)) ?? []
                guard let partial = names.first(where: { $0.hasSuffix(".partial") }) else { return false }
                deleted = unlink(context.target + "/" + partial + "/base.tar.zst") == 0
                return deleted
            }
            return context.finish(process)
        },
    ]

    // MARK: - Runs and hooks

    static let runs: [FaultCase] = [
        FaultCase(name: "a second run while one copies", expectedStatus: 7) { context in
            let first = try context.start(["--compress-level", "1"])
            context.wait("the copy") { context.streaming }
            let second = try context.run()
            let (status, output) = context.finish(first)
            if status != 0 { context.problems.append("the first run failed: \(output.prefix(300))") }
            return second
        },
        FaultCase(name: "a failing pre-backup hook", expectedStatus: 11) { context in
            let hooks = try HookDirectoryFixture.make(events: [])
            defer { try? FileManager.default.removeItem(atPath: hooks) }
            try HookDirectoryFixture.write("pre-backup", "#!/bin/sh\nexit 3\n", in: hooks)
            return try context.run(["--hook-directory", hooks])
        },
        FaultCase(name: "a hanging pre-backup hook", expectedStatus: 11) { context in
            let hooks = try HookDirectoryFixture.make(events: [])
            defer { try? FileManager.default.removeItem(atPath: hooks) }
            try HookDirectoryFixture.write("pre-backup", "#!/bin/sh\nsleep 600\n", in: hooks)
            return try context.run(["--hook-directory", hooks, "--hook-timeout", "1"])
        },
    ]

    // MARK: - Inside PostgreSQL's own waits

    static let waits: [FaultCase] = [
        FaultCase(name: "SIGTERM while pg_backup_start waits for a spread checkpoint", expectedStatus: 8) { context in
            let cluster = context.cluster
            try cluster.psql("ALTER SYSTEM SET checkpoint_timeout = '1h'")
            try cluster.psql("SELECT pg_reload_conf()")
            defer {
                _ = try? cluster.psql("ALTER SYSTEM RESET checkpoint_timeout")
                _ = try? cluster.psql("SELECT pg_reload_conf()")
            }
            // Dirty every buffer, so a spread checkpoint paces itself over most of an hour.
            try cluster.psql("UPDATE pgbench_accounts SET abalance = abalance + 0")
            let process = try context.start(["--checkpoint", "spread"])
            context.wait("pg_backup_start") { context.sessionRuns("pg_backup_start") }
            usleep(500_000)
            let (status, output, seconds) = context.signal(process, SIGTERM)
            if seconds > 5 { context.problems.append("took \(Int(seconds)) s to exit after SIGTERM") }
            try cluster.psql("CHECKPOINT")
            return (status, output)
        },
        FaultCase(name: "SIGTERM while pg_backup_stop waits for a failing archiver", expectedStatus: 8) { context in
            try withFailingArchiver(context) { archive in
                let process = try context.start(["--wal-archive", archive])
                context.wait("pg_backup_stop") { context.sessionRuns("pg_backup_stop") }
                usleep(500_000)
                let (status, output, seconds) = context.signal(process, SIGTERM)
                if seconds > 5 { context.problems.append("took \(Int(seconds)) s to exit after SIGTERM") }
                return (status, output)
            }
        },
        FaultCase(name: "a failing archiver outlasts wal_archive_timeout", expectedStatus: 4) { context in
            try withFailingArchiver(context) { archive in
                let started = Date()
                let (status, output) = try context.run(["--wal-archive", archive, "--wal-archive-timeout", "3"])
                if Date().timeIntervalSince(started) > 60 {
                    context.problems.append("the archive wait was not bounded")
                }
                if !output.contains("pg_stat_archiver") && !output.contains("archiv") {
                    context.problems.append("the error does not name the archiver: \(output.prefix(300))")
                }
                return (status, output)
            }
        },
    ]

    /// Runs `body` with `archive_command` failing and an empty `wal_archive` directory, then
    /// lets the archiver catch up again so the next case starts from a healthy server.
    static func withFailingArchiver(_ context: FaultBench.Context, _ body: (String) throws -> (Int32, String))
        throws -> (Int32, String)
    {
        let cluster = context.cluster
        let archive = try TemporaryDirectory.make(prefix: "pgsnap-fault-archive-")
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try cluster.psql("ALTER SYSTEM SET archive_command = '/bin/false'")
        try cluster.psql("SELECT pg_reload_conf()")
        defer {
            _ = try? cluster.psql("ALTER SYSTEM RESET archive_command")
            _ = try? cluster.psql("SELECT pg_reload_conf()")
        }
        return try body(archive)
    }
}

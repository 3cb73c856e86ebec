import Foundation
import Testing

/// Real shell hooks around real `pgsnap backup --snapshot none` runs on PostgreSQL 15: each
/// hook writes its environment to a file, so the order, the variables and the exit status
/// rules are checked as an operator's scripts would see them.
@Suite("pgsnap backup with hooks", .serialized, .integration)
struct HookCommandTests {
    /// A hook directory (root, 0755), a place for hooks to write, a target and a run directory.
    struct Setup {
        let hooks: String
        let out: String
        let target: String
        let runDirectory: String

        init() throws {
            hooks = try HookDirectoryFixture.make(events: [])
            out = try TemporaryDirectory.make(prefix: "pgsnap-hook-out-")
            target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-target-run-")
        }

        func remove() {
            for path in [hooks, out, target, runDirectory] { try? FileManager.default.removeItem(atPath: path) }
        }

        /// A hook that records its event in `order` and its environment in `env.<event>`, then runs `tail`.
        func hook(_ name: String, _ tail: String = "exit 0", mode: mode_t = 0o755) throws {
            try HookDirectoryFixture.write(
                name,
                """
                #!/bin/sh
                # written by HookCommandTests
                echo "$PGSNAP_EVENT" >> "\(out)/order"
                env > "\(out)/env.$PGSNAP_EVENT"
                \(tail)
                """, in: hooks, mode: mode)
        }

        var order: [String] {
            ((try? String(contentsOfFile: out + "/order", encoding: .utf8)) ?? "").split(separator: "\n").map(
                String.init)
        }

        func environment(_ event: String) throws -> [String: String] {
            let text = try String(contentsOfFile: out + "/env." + event, encoding: .utf8)
            var variables: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                variables[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return variables
        }

        func backup(_ cluster: TestCluster, _ extra: [String] = []) throws -> Pgsnap.Run {
            try Pgsnap.run(
                [
                    "backup", "--json", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                    "--conninfo", cluster.conninfo, "--hook-directory", hooks,
                ] + extra,
                environment: ["PGPASSWORD": "not-for-hooks", "PGSNAP_LEAK": "not-for-hooks"])
        }
    }

    func withSetup(_ body: (TestCluster, Setup) throws -> Void) throws {
        try withCluster(15) { cluster in
            let setup = try Setup()
            defer { setup.remove() }
            try body(cluster, setup)
        }
    }

    @Test func hooksRunInOrderWithTheDocumentedVariablesAndNothingElse() throws {
        try withSetup { cluster, setup in
            for event in ["pre-backup", "pre-snapshot", "post-snapshot", "post-backup"] { try setup.hook(event) }
            try setup.hook("pre-backup", "echo 'mounting nothing'; echo 'a note on stderr' >&2")
            let run = try setup.backup(cluster, ["--log-level", "info"])
            #expect(run.status == 0, "\(run.output)")
            #expect(setup.order == ["pre-backup", "post-backup"], "--snapshot none: no snapshot events")
            #expect(run.output.contains("hook pre-backup: mounting nothing"), "hook output goes to the log at info")
            #expect(run.output.contains("hook pre-backup: a note on stderr"))
            let id = try #require(try run.json()["id"] as? String)

            let pre = try setup.environment("pre-backup")
            #expect(pre["PGSNAP_EVENT"] == "pre-backup")
            #expect(pre["PGSNAP_BACKUP_ID"] == id)
            #expect(pre["PGSNAP_TARGET"] == setup.target)
            #expect(pre["PGSNAP_SNAPSHOT_MODE"] == "none")
            #expect(pre["PATH"] == "/usr/sbin:/usr/bin:/sbin:/bin")
            #expect(pre["PGSNAP_DATA_DIRECTORY"] == nil, "not known before the plan")
            #expect(pre["PGSNAP_STATUS"] == nil)

            let post = try setup.environment("post-backup")
            #expect(post["PGSNAP_STATUS"] == "success")
            #expect(post["PGSNAP_EXIT_STATUS"] == "0")
            #expect(post["PGSNAP_ERROR"] == nil)
            #expect(post["PGSNAP_BACKUP_DIRECTORY"] == setup.target + "/" + id)
            #expect(post["PGSNAP_DATA_DIRECTORY"] == cluster.dataDirectory)
            #expect(post["PGSNAP_START_LSN"]?.contains("/") == true)
            #expect(post["PGSNAP_STOP_LSN"]?.contains("/") == true)
            #expect(post["PGSNAP_VOLUMES"] == nil, "no volumes without snapshots")
            for (name, value) in pre.merging(post, uniquingKeysWith: { $1 }) {
                #expect(
                    name.hasPrefix("PGSNAP_") || ["PATH", "PWD", "SHLVL", "_", "OLDPWD"].contains(name),
                    "\(name) leaked into a hook")
                #expect(!value.contains("not-for-hooks"), "\(name) leaked into a hook")
                #expect(!value.contains(cluster.conninfo), "the conninfo reached a hook in \(name)")
            }
        }
    }

    @Test func aFailingPreBackupHookExits11AndLeavesNothingBehind() throws {
        try withSetup { cluster, setup in
            try setup.hook("pre-backup", "echo 'storage not ready' >&2; exit 2")
            try setup.hook("post-backup")
            let run = try setup.backup(cluster)
            #expect(run.status == 11, "\(run.output)")
            #expect(
                run.output.contains(
                    "pre-backup hook \(setup.hooks)/pre-backup exited with status 2: storage not ready"),
                "\(run.output)")
            #expect(setup.order == ["pre-backup", "post-backup"])
            let post = try setup.environment("post-backup")
            #expect(post["PGSNAP_STATUS"] == "failure")
            #expect(post["PGSNAP_EXIT_STATUS"] == "11")
            #expect(post["PGSNAP_ERROR"]?.contains("exited with status 2") == true)
            #expect(post["PGSNAP_BACKUP_DIRECTORY"] == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: setup.target).isEmpty)
            #expect(try cluster.psql("SELECT count(*) FROM pg_replication_slots") == "0")
            #expect(try cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'") == "0")
        }
    }

    @Test func aHookThatOutlivesTheTimeoutIsKilledWithItsChildren() throws {
        try withSetup { cluster, setup in
            // One child dies of SIGTERM; the hook and a second child ignore it and need SIGKILL.
            try setup.hook(
                "pre-backup",
                """
                sleep 300 & echo $! > "\(setup.out)/child1"
                trap '' TERM
                sleep 301 & echo $! > "\(setup.out)/child2"
                wait
                """)
            let started = Date()
            let run = try setup.backup(cluster, ["--hook-timeout", "1"])
            let elapsed = Date().timeIntervalSince(started)
            #expect(run.status == 11, "\(run.output)")
            #expect(run.output.contains("timed out after 1 s"), "\(run.output)")
            #expect(elapsed < 1 + 5 + 4, "timeout 1 s, then 5 s to SIGKILL; took \(elapsed) s")
            for name in ["child1", "child2"] {
                let pid = try #require(
                    Int32(
                        try String(contentsOfFile: setup.out + "/" + name, encoding: .utf8)
                            .trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(HookUnitTests.isGoneOrZombie(pid), "\(name) (\(pid)) outlived the hook")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: setup.target).isEmpty)
        }
    }

    @Test func aWorldWritableHookIsRefusedWithExit3BeforeAnythingRuns() throws {
        try withSetup { cluster, setup in
            try setup.hook("pre-backup")
            try setup.hook("post-backup", mode: 0o757)
            let run = try setup.backup(cluster)
            #expect(run.status == 3, "\(run.output)")
            #expect(run.output.contains("post-backup hook \(setup.hooks)/post-backup is refused"), "\(run.output)")
            #expect(run.output.contains("writable by group or others"))
            #expect(setup.order.isEmpty, "no hook ran")
            #expect(try FileManager.default.contentsOfDirectory(atPath: setup.target).isEmpty)
        }
    }

    @Test func aFailingPostBackupHookLeavesExit0() throws {
        try withSetup { cluster, setup in
            try setup.hook("post-backup", "echo 'mail server down' >&2; exit 1")
            try setup.hook("pre-snapshot", mode: 0o644)
            let run = try setup.backup(cluster)
            #expect(run.status == 0, "\(run.output)")
            #expect(try run.json()["status"] as? String == "complete")
            #expect(
                run.output.contains(
                    "post-backup hook \(setup.hooks)/post-backup exited with status 1; the run's outcome is unchanged"),
                "\(run.output)")
            #expect(run.output.contains("hook post-backup: mail server down"))
            #expect(run.output.contains("pre-snapshot hook \(setup.hooks)/pre-snapshot is not executable"))
            #expect(setup.order == ["post-backup"])
        }
    }

    @Test func aMissingHookDirectoryIsAConfigurationError() throws {
        try withSetup { cluster, setup in
            let run = try setup.backup(cluster, ["--hook-directory", setup.hooks + "/nope"])
            #expect(run.status == 3, "\(run.output)")
            #expect(run.output.contains("does not exist"))
        }
    }
}

import Foundation
import Testing

/// `pgsnap restore` from a target with a WAL archive (issue 11, item 2): restore_command is
/// pgsnap archive-get unless `--restore-command` or `--no-archive` says otherwise; a time
/// between two backups gets the earlier one and the dropped table back; without a target the
/// server replays the archive to its end.
@Suite("restore from the pgsnap WAL archive", .serialized, .integration)
struct WALArchiveRestoreTests {
    @Test(arguments: PostgresInstallation.required)
    func pointInTimeAndToTheEndFromTheArchive(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("CREATE TABLE precious AS SELECT generate_series(1, 1000) AS g")
            let before = try Self.backup(cluster, fixture)
            Thread.sleep(forTimeInterval: 2.1)
            let time = try cluster.psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
            Thread.sleep(forTimeInterval: 1.1)
            try cluster.psql("DROP TABLE precious")
            Thread.sleep(forTimeInterval: 1.1)
            let after = try Self.backup(cluster, fixture)
            try cluster.psql("CREATE TABLE later AS SELECT generate_series(1, 10) AS g")
            try cluster.psql("SELECT pg_switch_wal()")
            try fixture.waitUntilArchived(cluster)

            try Self.withRestore(fixture, cluster, ["--target-time", time, "--target-action", "promote"]) {
                restored, summary in
                #expect(summary["id"] as? String == before, "\(summary)")
                let conf = try String(contentsOfFile: restored.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(conf.contains("archive-get %f %p --config \(fixture.config)"), "\(conf)")
                try restored.start()
                #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
                #expect(try restored.psql("SELECT count(*) FROM precious") == "1000", "\(restored.serverLog)")
                #expect(try restored.psql("SELECT count(*) FROM pg_class WHERE relname = 'later'") == "0")
            }
            try Self.withRestore(fixture, cluster, []) { restored, summary in
                #expect(summary["id"] as? String == after, "\(summary)")
                try restored.start()
                #expect(try restored.waitUntilOutOfRecovery(), "still in recovery: \(restored.serverLog)")
                #expect(try restored.psql("SELECT count(*) FROM later") == "10", "\(restored.serverLog)")
                #expect(try restored.psql("SELECT count(*) FROM pg_class WHERE relname = 'precious'") == "0")
            }
            try Self.withRestore(fixture, cluster, ["--no-archive"]) { restored, _ in
                let conf = try String(contentsOfFile: restored.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(!conf.contains("restore_command"), "\(conf)")
                #expect(!FileManager.default.fileExists(atPath: restored.dataDirectory + "/recovery.signal"))
            }
            try Self.withRestore(fixture, cluster, ["--restore-command", "cp /nowhere/%f %p"]) { restored, _ in
                let conf = try String(contentsOfFile: restored.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(conf.contains("cp /nowhere/%f %p") && !conf.contains("archive-get"), "\(conf)")
            }
        }
    }

    /// `restore --standby` from a target with an archive: a warm standby fed by archive-get
    /// that serves read-only queries and replays the segments the primary archives after it.
    @Test(arguments: PostgresInstallation.required)
    func anArchiveFedStandbyFollowsNewSegments(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("CREATE TABLE base AS SELECT generate_series(1, 100) AS g")
            _ = try Self.backup(cluster, fixture)
            try fixture.waitUntilArchived(cluster)
            try Self.withRestore(fixture, cluster, ["--standby"]) { standby, _ in
                #expect(FileManager.default.fileExists(atPath: standby.dataDirectory + "/standby.signal"))
                try standby.start()
                #expect(try standby.psql("SELECT pg_is_in_recovery()") == "t", "\(standby.serverLog)")
                #expect(try standby.psql("SELECT count(*) FROM base") == "100", "\(standby.serverLog)")
                let before = try standby.psql("SELECT pg_last_wal_replay_lsn()")
                try cluster.psql("CREATE TABLE follow AS SELECT generate_series(1, 42) AS g")
                try cluster.psql("SELECT pg_switch_wal()")
                try fixture.waitUntilArchived(cluster)
                let deadline = Date().addingTimeInterval(60)
                var seen = ""
                while Date() < deadline {
                    seen = try standby.psql("SELECT count(*) FROM pg_class WHERE relname = 'follow'")
                    if seen == "1" { break }
                    Thread.sleep(forTimeInterval: 0.5)
                }
                #expect(seen == "1", "the standby never replayed the new segment: \(standby.serverLog)")
                #expect(try standby.psql("SELECT count(*) FROM follow") == "42")
                let advanced = try standby.psql("SELECT pg_last_wal_replay_lsn() > '\(before)'::pg_lsn")
                #expect(advanced == "t", "replay LSN stayed at \(before)")
                #expect(try standby.psql("SELECT pg_is_in_recovery()") == "t", "still a standby")
            }
        }
    }

    /// `--standby --primary-conninfo --primary-slot`: a hot standby streaming from the primary
    /// through its slot (pg_stat_wal_receiver, the slot active), serving read-only queries, with
    /// archive-get as its fallback; a conninfo with a password is refused before anything is written.
    @Test(arguments: PostgresInstallation.required)
    func aStreamingStandbyUsesItsPrimaryAndSlot(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("SELECT pg_create_physical_replication_slot('standby_1')")
            _ = try Self.backup(cluster, fixture)
            let primary =
                "host=\(cluster.socketDirectory) port=\(cluster.port) user=postgres application_name=pgsnap_test"
            let refusedAt = fixture.configDirectory + "/refused"
            let refused = try Pgsnap.run([
                "restore", "latest", "--config", fixture.config, "--pgdata", refusedAt, "--standby",
                "--primary-conninfo", primary + " password=secret",
            ])
            #expect(refused.status == 64 && refused.output.contains("password"), "\(refused.output)")
            #expect(!refused.output.contains("secret"), "the password is never echoed: \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: refusedAt))
            try Self.withRestore(
                fixture, cluster, ["--standby", "--primary-conninfo", primary, "--primary-slot", "standby_1"]
            ) { standby, _ in
                let conf = try String(contentsOfFile: standby.dataDirectory + "/postgresql.auto.conf", encoding: .utf8)
                #expect(conf.contains("primary_slot_name = 'standby_1'") && conf.contains("archive-get"), "\(conf)")
                try standby.start()
                try cluster.psql("CREATE TABLE streamed AS SELECT generate_series(1, 9) AS g")
                let deadline = Date().addingTimeInterval(60)
                var status = ""
                var rows = ""
                while Date() < deadline {
                    status = try standby.psql("SELECT coalesce(max(status), 'none') FROM pg_stat_wal_receiver")
                    rows = try standby.psql("SELECT count(*) FROM pg_class WHERE relname = 'streamed'")
                    if status == "streaming" && rows == "1" { break }
                    Thread.sleep(forTimeInterval: 0.3)
                }
                #expect(status == "streaming", "\(standby.serverLog)")
                #expect(try standby.psql("SELECT count(*) FROM streamed") == "9", "\(standby.serverLog)")
                #expect(try standby.psql("SELECT pg_is_in_recovery()") == "t")
                #expect(
                    try cluster.psql("SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_1'") == "t")
            }
        }
    }

    static func backup(_ cluster: TestCluster, _ fixture: WALArchiveFixture) throws -> String {
        let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-walrestore-run-")
        defer { try? FileManager.default.removeItem(atPath: runDirectory) }
        let run = try Pgsnap.run([
            "backup", "--json", "--snapshot", "none", "--config", fixture.config, "--run-directory", runDirectory,
            "--conninfo", cluster.conninfo, "--checkpoint", "fast",
        ])
        try #require(run.status == 0, "pgsnap backup: \(run.output)")
        return try #require(try run.json()["id"] as? String)
    }

    /// Restores `latest` next to the running original with `arguments` and the fixture's config.
    static func withRestore(
        _ fixture: WALArchiveFixture, _ cluster: TestCluster, _ arguments: [String],
        _ body: (RestoredCluster, [String: Any]) throws -> Void
    ) throws {
        let root = try TemporaryDirectory.make(
            prefix: "pgsnap-pg\(cluster.installation.major)-walrestore-", owner: TestCluster.user)
        let restored = try RestoredCluster(adopting: root, installation: cluster.installation)
        defer { restored.destroy() }
        let run = try Pgsnap.run(
            ["restore", "latest", "--config", fixture.config, "--pgdata", restored.dataDirectory, "--json"] + arguments)
        try #require(run.status == 0, "pgsnap restore \(arguments): \(run.output)")
        try body(restored, try run.json())
    }
}

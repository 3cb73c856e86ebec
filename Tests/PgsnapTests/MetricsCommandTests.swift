import Foundation
import Testing

/// The metrics file after real runs on a PostgreSQL 15 cluster that archives its WAL into the
/// target: a backup, a failed one, a verify and a prune, each followed by promtool's check and
/// a parse with prometheus_client's text parser (as node_exporter and Prometheus would read
/// it), with the values compared to backup.json.
@Suite("metrics file after real backup, verify and prune", .serialized, .integration)
struct MetricsCommandTests {
    /// In the conninfo of the configuration file: it must never reach the metrics file.
    static let password = "metrics-secret-4711"

    @Test func eachRunLeavesAFileScrapersAcceptWithTheRecordsValues() throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(15, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            let scratch = try TemporaryDirectory.make(prefix: "pgsnap-metrics-run-")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let metrics = scratch + "/prom/pgsnap.prom"
            try FileManager.default.createDirectory(atPath: scratch + "/prom", withIntermediateDirectories: false)
            let config = scratch + "/pgsnap.conf"
            try "conninfo = '\(cluster.conninfo) password=\(Self.password)'\nmetrics_file = \(metrics)\n"
                .write(toFile: config, atomically: false, encoding: .utf8)
            chmod(config, 0o600)
            let common = ["--config", config, "--target", fixture.target, "--run-directory", scratch]
            let cluster15 = try cluster.psql("select system_identifier from pg_control_system()")
            try Self.archiveOneSegment(cluster, fixture)

            let first = try Self.backup(common)
            var file = try Self.read(metrics)
            #expect(file.value("pgsnap_last_exit_status", "backup") == 0)
            #expect(file.value("pgsnap_last_run_success", "backup") == 1)
            let firstSuccess = try #require(file.value("pgsnap_last_success_timestamp_seconds", "backup"))
            #expect(file.value("pgsnap_last_attempt_timestamp_seconds", "backup") == firstSuccess)
            try Self.expectNewest(file, is: fixture.target + "/" + first, complete: 1)
            #expect(
                file.samples.allSatisfy { $0.labels["cluster"] == cluster15 && $0.labels["target"] == fixture.target })

            // Nothing listens there: exit 4, and the first backup's success stays.
            let failed = try Pgsnap.run(
                ["backup", "--snapshot", "none", "--conninfo", "host=\(scratch) port=1 user=postgres"] + common)
            #expect(failed.status == 4, "\(failed.output)")
            file = try Self.read(metrics)
            #expect(file.value("pgsnap_last_exit_status", "backup") == 4)
            #expect(file.value("pgsnap_last_run_success", "backup") == 0)
            #expect(file.value("pgsnap_last_success_timestamp_seconds", "backup") == firstSuccess)
            #expect(try #require(file.value("pgsnap_last_attempt_timestamp_seconds", "backup")) > firstSuccess)
            try Self.expectNewest(file, is: fixture.target + "/" + first, complete: 1)

            // The backup's retention expired the WAL before its start; its own segments follow.
            try Self.archiveOneSegment(cluster, fixture)
            let verify = try Pgsnap.run(["verify", "latest"] + common)
            #expect(verify.status == 0, "\(verify.output)")
            file = try Self.read(metrics)
            #expect(file.value("pgsnap_last_exit_status", "verify") == 0)
            #expect(file.value("pgsnap_last_run_duration_seconds", "verify").map { $0 > 0 } == true)
            #expect(file.value("pgsnap_last_exit_status", "backup") == 4, "verify keeps backup's lines")
            try Self.expectNewestWAL(file, fixture)

            Thread.sleep(forTimeInterval: 1.05)
            let second = try Self.backup(common)
            try Self.archiveOneSegment(cluster, fixture)
            let prune = try Pgsnap.run(["prune", "--keep-last", "1"] + common)
            #expect(prune.status == 0, "\(prune.output)")
            #expect(!FileManager.default.fileExists(atPath: fixture.target + "/" + first), "pruned")
            file = try Self.read(metrics)
            #expect(file.value("pgsnap_last_exit_status", "prune") == 0)
            #expect(file.value("pgsnap_last_exit_status", "verify") == 0)
            #expect(file.value("pgsnap_last_exit_status", "backup") == 0)
            try Self.expectNewest(file, is: fixture.target + "/" + second, complete: 1)
            try Self.expectNewestWAL(file, fixture)
            let text = try String(contentsOfFile: metrics, encoding: .utf8)
            #expect(!text.contains(Self.password) && !text.contains("conninfo"), "no setting but the target: \(text)")
        }
    }

    /// One more finished segment in the WAL archive, so the WAL metrics have something new to show.
    private static func archiveOneSegment(_ cluster: TestCluster, _ fixture: WALArchiveFixture) throws {
        let before = try fixture.archivedNames().max()
        try cluster.psql("create table if not exists metrics_wal as select generate_series(1, 1000) as i")
        try cluster.psql("insert into metrics_wal select generate_series(1, 1000)")
        try cluster.psql("select pg_switch_wal()")
        let deadline = Date().addingTimeInterval(60)
        while try fixture.archivedNames().max() == before && Date() < deadline {
            try cluster.psql("select pg_reload_conf()")
            usleep(200_000)
        }
        let log = (try? String(contentsOfFile: cluster.root + "/server.log", encoding: .utf8)) ?? ""
        try #require(try fixture.archivedNames().max() != before, "nothing archived in 60 s: \(log.suffix(2000))")
    }

    private static func backup(_ common: [String]) throws -> String {
        let run = try Pgsnap.run(["backup", "--json", "--snapshot", "none"] + common)
        #expect(run.status == 0, "\(run.output)")
        #expect(!run.output.contains("WARNING"), "the metrics file was written: \(run.output)")
        return try #require(try run.json()["id"] as? String)
    }

    /// The newest-backup metrics against that backup's backup.json.
    private static func expectNewest(_ file: ScrapedFile, is directory: String, complete: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/backup.json"))
        let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let start = try #require((record["start_time"] as? String).flatMap(ISO8601DateFormatter().date))
        let stop = try #require((record["stop_time"] as? String).flatMap(ISO8601DateFormatter().date))
        #expect(file.value("pgsnap_complete_backups") == complete)
        #expect(file.value("pgsnap_newest_backup_start_timestamp_seconds") == start.timeIntervalSince1970)
        #expect(file.value("pgsnap_newest_backup_end_timestamp_seconds") == stop.timeIntervalSince1970)
        #expect(file.value("pgsnap_newest_backup_duration_seconds") == stop.timeIntervalSince(start))
        #expect(file.value("pgsnap_newest_backup_read_bytes") == (record["bytes_read"] as? NSNumber)?.doubleValue)
        #expect(file.value("pgsnap_newest_backup_written_bytes") == (record["bytes_written"] as? NSNumber)?.doubleValue)
        #expect(
            file.value("pgsnap_newest_backup_compression_ratio")
                == (record["compression_ratio"] as? NSNumber)?.doubleValue)
        #expect(
            file.value("pgsnap_newest_backup_backup_mode_seconds")
                == (record["backup_mode_seconds"] as? NSNumber)?.doubleValue)
        let age = try #require(file.value("pgsnap_newest_backup_age_seconds"))
        #expect(age >= 0 && age < 600, "\(age)")
    }

    /// The WAL metrics against the highest segment stored in the archive.
    private static func expectNewestWAL(_ file: ScrapedFile, _ fixture: WALArchiveFixture) throws {
        let archived = try fixture.archivedNames()
        let newest = try #require(
            archived.filter { $0.count == 24 }.max(),
            "archived: \(archived), metrics: \(file.samples.filter { $0.name.contains("wal") })")
        // The server keeps archiving after the command wrote the file: the value is the time of
        // a segment that was the newest then, so one of the archived segments', and not after
        // the newest one's now.
        func storedAt(_ name: String) throws -> Double {
            let path = fixture.archive + "/" + name.prefix(16) + "/" + name + ".zst"
            let date = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            return try #require(date).timeIntervalSince1970
        }
        let stored = try #require(file.value("pgsnap_wal_archive_newest_segment_timestamp_seconds"))
        let times = try archived.filter { $0.count == 24 }.map(storedAt)
        #expect(times.contains { abs(stored - $0) < 0.001 }, "\(stored) is no archived segment's time")
        #expect(stored <= (try storedAt(newest)) + 0.001, "\(newest)")
        #expect(file.value("pgsnap_wal_archive_newest_segment_timeline") == 1)
    }

    /// The file as promtool checks it and prometheus_client's parser reads it.
    struct ScrapedFile {
        struct Sample {
            let name: String
            let labels: [String: String]
            let value: Double
        }
        let samples: [Sample]

        func value(_ name: String, _ command: String? = nil) -> Double? {
            samples.first { $0.name == name && (command == nil || $0.labels["command"] == command) }?.value
        }
    }

    static let parser = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        with open(sys.argv[1], encoding="utf-8") as f:
            families = list(text_string_to_metric_families(f.read()))
        print(json.dumps([{"name": s.name, "labels": s.labels, "value": s.value, "type": f.type}
                          for f in families for s in f.samples]))
        """

    static func read(_ path: String) throws -> ScrapedFile {
        let promtool = Command.run("/bin/sh", ["-c", "promtool check metrics < \"$1\"", "sh", path])
        #expect(
            promtool.status == 0 && promtool.output.isEmpty,
            "promtool check metrics (scripts/install-deps installs it): \(promtool.status) \(promtool.output)")
        let parsed = Command.run("/usr/bin/env", ["python3", "-c", parser, path])
        try #require(parsed.status == 0, "prometheus_client (scripts/install-deps installs it): \(parsed.output)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.allSatisfy { $0["type"] as? String == "gauge" }, "\(rows)")
        let samples = rows.compactMap { row -> ScrapedFile.Sample? in
            guard let name = row["name"] as? String, let labels = row["labels"] as? [String: String],
                let value = (row["value"] as? NSNumber)?.doubleValue
            else { return nil }
            return ScrapedFile.Sample(name: name, labels: labels, value: value)
        }
        #expect(samples.count == rows.count && !samples.isEmpty)
        return ScrapedFile(samples: samples)
    }
}

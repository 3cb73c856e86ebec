import Foundation
import Testing

/// `pgsnap check` on a target with a WAL archive (issue 11, item 5): archive_mode, whether
/// archive_command archives into this target, pg_stat_archiver, the newest segment's age.
@Suite("check reports the WAL archive", .serialized, .integration)
struct WALArchiveCheckTests {
    @Test(arguments: PostgresInstallation.required)
    func checkReportsTheArchiveAndWhetherTheServerFillsIt(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        let other = try WALArchiveFixture()
        defer {
            fixture.remove()
            other.remove()
        }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("CREATE TABLE t AS SELECT generate_series(1, 1000) AS g")
            try cluster.psql("SELECT pg_switch_wal()")
            try fixture.waitUntilArchived(cluster)
            let run = try Pgsnap.run([
                "check", "--json", "--snapshot", "none", "--config", fixture.config, "--conninfo", cluster.conninfo,
            ])
            let archive = try #require(try run.json()["wal_archive"] as? [String: Any], "\(run.output)")
            #expect(archive["archive_mode"] as? String == "on", "\(archive)")
            #expect(archive["calls_pgsnap"] as? Bool == true, "\(archive)")
            let archiver = try #require(archive["archiver"] as? [String: Any])
            let last = try cluster.psql("SELECT last_archived_wal FROM pg_stat_archiver")
            #expect((archiver["archived_count"] as? Int ?? 0) >= 1, "\(archiver)")
            #expect(archive["newest_segment"] as? String == last, "\(archive)")
            #expect((archive["newest_age_seconds"] as? Double ?? 1e9) < 120, "\(archive)")
            let text = try Pgsnap.run([
                "check", "--snapshot", "none", "--config", fixture.config, "--conninfo", cluster.conninfo,
            ])
            #expect(text.stdout.contains("archive_command calls pgsnap for this target: yes"), "\(text.stdout)")

            // Another target with an archive this server does not fill.
            let elsewhere = try Pgsnap.run([
                "check", "--json", "--snapshot", "none", "--config", other.config, "--conninfo", cluster.conninfo,
            ])
            let otherArchive = try #require(try elsewhere.json()["wal_archive"] as? [String: Any])
            #expect(otherArchive["calls_pgsnap"] as? Bool == false, "\(otherArchive)")
            #expect(otherArchive["newest_segment"] is NSNull || otherArchive["newest_segment"] == nil)
        }
    }
}

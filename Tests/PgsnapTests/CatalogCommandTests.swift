import Catalog
import Foundation
import Testing

/// `pgsnap list`, `info` and `prune` through the built binary, on hand-made targets.
@Suite("Catalog commands", .unit)
struct CatalogCommandTests {
    private func pgsnap(_ fixture: TargetFixture, _ arguments: [String]) throws -> Pgsnap.Run {
        try Pgsnap.run(arguments + ["--target", fixture.target, "--run-directory", fixture.runDirectory])
    }

    @Test func listJSONHasOneRowPerRunNewestFirst() throws {
        let fixture = try TargetFixture()
        let old = try fixture.complete(daysAgo: 2, label: "weekly")
        let failed = try fixture.failed(daysAgo: 1)
        let run = try pgsnap(fixture, ["list", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let rows = try #require(try run.json()["backups"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == [failed, old])
        #expect(rows.map { $0["status"] as? String } == ["failed", "complete"])
        #expect(rows.map { $0["restorable"] as? Bool } == [false, true])
        let complete = rows[1]
        #expect(
            Set(complete.keys) == [
                "id", "label", "status", "start_time", "stop_time", "duration_seconds",
                "postgresql_version", "bytes_read", "bytes_written", "timeline", "start_lsn",
                "stop_lsn", "wal_start", "wal_stop", "system_identifier", "restorable", "record_checksum",
            ])
        #expect(complete["record_checksum"] as? String == "valid")
        #expect(Set(rows[0].keys) == Set(complete.keys), "every row has every key")
        #expect(complete["label"] as? String == "weekly")
        #expect(complete["duration_seconds"] as? Double == 65)
        #expect(complete["postgresql_version"] as? String == "15.8")
        #expect(complete["bytes_read"] as? Int == 40_000_000)
        #expect(complete["wal_start"] as? String == "000000010000000000000002")
        #expect(complete["wal_stop"] as? String == "000000010000000000000003")
        #expect((complete["start_time"] as? String)?.hasSuffix("Z") == true)
        #expect(rows[0]["bytes_read"] is NSNull)
    }

    @Test func listTextIsAnAlignedTable() throws {
        let fixture = try TargetFixture()
        let complete = try fixture.complete(daysAgo: 2)
        let partial = try fixture.partial(daysAgo: 1)
        let run = try pgsnap(fixture, ["list"])
        #expect(run.status == 0, "\(run.output)")
        var lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(
            lines.first == "cluster \(TargetFixture.systemIdentifier) (target not bound yet: its next backup binds it)")
        lines.removeFirst()
        #expect(lines[0].hasPrefix("ID "))
        #expect(lines[1].hasPrefix(partial + "  partial "))
        #expect(lines[2].hasPrefix(complete + "  complete "))
        #expect(lines[2].contains("38.1 MiB"), "sizes are human-readable: \(lines[2])")
        #expect(lines[2].contains("1m05s"))
        let statusColumn = try #require(lines[0].range(of: "STATUS")).lowerBound.utf16Offset(in: lines[0])
        #expect(lines.dropFirst().allSatisfy { $0.dropFirst(statusColumn).first != " " }, "columns line up")

        let empty = try TargetFixture()
        let none = try pgsnap(empty, ["list"])
        #expect(none.status == 0)
        #expect(none.stdout.contains("no backups"))
    }

    @Test func infoJSONIsTheRecordPlusItsArchives() throws {
        let fixture = try TargetFixture()
        let old = try fixture.complete(daysAgo: 2)
        let newest = try fixture.complete(daysAgo: 1)
        let run = try pgsnap(fixture, ["info", old, "--json"])
        #expect(run.status == 0, "\(run.output)")
        let object = try run.json()
        #expect(object["id"] as? String == old)
        #expect(object["system_identifier"] as? String == "7311234567890123456")
        #expect((object["tablespaces"] as? [[String: Any]])?.first?["name"] as? String == "fast")
        let archives = try #require(object["archives"] as? [[String: Any]])
        #expect(archives.map { $0["name"] as? String } == ["backup_manifest", "base.tar.zst", "pg_wal.tar.zst"])
        #expect(archives.map { $0["bytes"] as? Int } == [2, 4096, 512])
        let latest = try pgsnap(fixture, ["info", "latest", "--json"])
        #expect(try latest.json()["id"] as? String == newest)
    }

    @Test func infoTextIsAKeyValueBlockAndTheFiles() throws {
        let fixture = try TargetFixture()
        let id = try fixture.complete(daysAgo: 1)
        let run = try pgsnap(fixture, ["info", "latest"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.stdout.hasPrefix("id "))
        let text = Self.collapsed(run.stdout)
        for expected in [
            "id \(id)", "status complete", "postgresql version 15.8", "duration 1m05s",
            "wal segments 000000010000000000000002..000000010000000000000003 (2 segments)",
            "tablespaces 16384 fast /srv/fast", "bytes read 38.1 MiB (40000000 bytes)",
            "data directory /var/lib/postgresql/15/main", "archives", "base.tar.zst 4.0 KiB",
            "backup mode seconds 64.50 s", "compression ratio 8680.50x", "throughput bytes per second 601.0 KiB/s",
        ] {
            #expect(text.contains(expected), "\(expected) in \(run.stdout)")
        }
    }

    /// A backup.json edited after pgsnap wrote it: list shows the backup damaged and not
    /// restorable, info refuses to present it as the backup's record; one without any checksum
    /// (an older pgsnap's) is listed as it always was.
    @Test func anEditedRecordIsListedDamagedAndInfoRefusesIt() throws {
        let fixture = try TargetFixture()
        let old = try fixture.complete(daysAgo: 2)
        let edited = try fixture.complete(daysAgo: 1)
        let path = fixture.target + "/" + edited + "/backup.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"data_directory_owner\" : 105", with: "\"data_directory_owner\" : 0")
            .write(toFile: path, atomically: false, encoding: .utf8)
        try RecordEditing.edit(fixture.target + "/" + old + "/backup.json", seal: .none) { _ in }

        let rows = try #require(try pgsnap(fixture, ["list", "--json"]).json()["backups"] as? [[String: Any]])
        #expect(rows.map { $0["record_checksum"] as? String } == ["mismatch", "absent"])
        #expect(rows.map { $0["restorable"] as? Bool } == [false, true])
        #expect(rows.map { $0["status"] as? String } == ["damaged", "complete"])
        let listed = try pgsnap(fixture, ["list"])
        #expect(
            listed.stdout.split(separator: "\n").contains { $0.hasPrefix(edited) && $0.contains(" damaged ") },
            "\(listed.stdout)")
        let info = try pgsnap(fixture, ["info", edited])
        #expect(info.status == 9, "\(info.output)")
        #expect(info.lines(naming: "pgsnap: ").contains { $0.contains("fails its checksum") }, "\(info.output)")
        let older = try pgsnap(fixture, ["info", old, "--json"])
        #expect(older.status == 0, "\(older.output)")
        #expect(try older.json()["checksum"] as? String == "none (written by an older pgsnap)")
    }

    @Test func unknownOrIncompleteIDsExit9NamingThem() throws {
        let fixture = try TargetFixture()
        let failed = try fixture.failed(daysAgo: 1, error: "cannot write base.tar.zst: No space left on device")
        let unknown = try pgsnap(fixture, ["info", "20200101T000000Z"])
        #expect(unknown.status == 9, "\(unknown.output)")
        #expect(unknown.output.contains("20200101T000000Z"))
        let notComplete = try pgsnap(fixture, ["info", failed, "--json"])
        #expect(notComplete.status == 9)
        #expect((try notComplete.json()["error"] as? String)?.contains("No space left on device") == true)
        let latest = try pgsnap(fixture, ["info", "latest"])
        #expect(latest.status == 9)
        #expect(latest.output.contains("no complete backup"))
    }

    /// Another cluster's backup in a bound target: listed as foreign, never `latest`, refused
    /// by ID, kept by prune; a target mixing clusters without a binding refuses what must pick.
    @Test func foreignBackupsAreListedButNeverPickedRestoredOrPruned() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let older = try fixture.complete(daysAgo: 3)
        let own = try fixture.complete(daysAgo: 2)
        let foreign = try fixture.complete(daysAgo: 1, systemIdentifier: "7400000000000000001")
        let list = try pgsnap(fixture, ["list"])
        #expect(list.status == 0, "\(list.output)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first?.hasPrefix("cluster \(TargetFixture.systemIdentifier) (target bound since ") == true,
            "\(list.stdout)")
        #expect(lines[2].hasPrefix(foreign + "  foreign "), "\(list.stdout)")
        let json = try pgsnap(fixture, ["list", "--json"]).json()
        #expect(json["system_identifier"] as? String == TargetFixture.systemIdentifier)
        #expect(json["system_identifiers"] as? [String] == [TargetFixture.systemIdentifier, "7400000000000000001"])
        let rows = try #require(json["backups"] as? [[String: Any]])
        #expect(rows.map { $0["status"] as? String } == ["foreign", "complete", "complete"])
        #expect(rows.first?["restorable"] as? Bool == false)

        #expect(try pgsnap(fixture, ["info", "latest", "--json"]).json()["id"] as? String == own)
        let refused = try pgsnap(fixture, ["info", foreign])
        #expect(refused.status == 9, "\(refused.output)")
        #expect(
            refused.output.contains(
                "is of cluster 7400000000000000001, not of cluster \(TargetFixture.systemIdentifier)"),
            "\(refused.output)")
        let verify = try pgsnap(fixture, ["verify", "latest", "--json"])
        let verified = try #require(try verify.json()["backups"] as? [[String: Any]])
        #expect(verified.map { $0["id"] as? String } == [own], "\(verify.output)")
        let restore = try pgsnap(fixture, ["restore", foreign, "--pgdata", fixture.runDirectory + "/nowhere"])
        #expect(restore.status == 9, "\(restore.output)")
        #expect(restore.output.contains("is of cluster 7400000000000000001"), "\(restore.output)")
        let prune = try pgsnap(fixture, ["prune", "--keep-last", "1", "--json"])
        #expect(prune.status == 0, "\(prune.output)")
        #expect(try prune.json()["removed"] as? [[String: String]] == [["id": older, "status": "complete"]])
        #expect(try fixture.names() == [own, foreign, TargetBinding.fileName].sorted())

        try FileManager.default.removeItem(atPath: fixture.target + "/" + TargetBinding.fileName)
        let mixed = try pgsnap(fixture, ["prune", "--keep-last", "1"])
        #expect(mixed.status == 6, "\(mixed.output)")
        #expect(mixed.output.contains("holds complete backups of several clusters"), "\(mixed.output)")
        #expect(try fixture.names() == [own, foreign].sorted())
        #expect(try pgsnap(fixture, ["info", "latest"]).status == 6)
        #expect(try pgsnap(fixture, ["info", foreign]).status == 0, "an explicit ID is unambiguous")
    }

    @Test func configurationAndTargetProblemsHaveTheirExitCodes() throws {
        let noTarget = try Pgsnap.run(["list", "--config", "/dev/null"])
        #expect(noTarget.status == 3, "\(noTarget.output)")
        let missing = try Pgsnap.run(["list", "--target", "/nonexistent/pgsnap-target"])
        #expect(missing.status == 6, "\(missing.output)")
        #expect(missing.output.contains("No such file or directory"))
        let fixture = try TargetFixture()
        let noRule = try pgsnap(fixture, ["prune"])
        #expect(noRule.status == 3, "\(noRule.output)")
        #expect(noRule.output.contains("keep_last"))
        let badRule = try pgsnap(fixture, ["prune", "--keep-last", "0"])
        #expect(badRule.status == 64, "a malformed flag value is a usage error: \(badRule.output)")
    }

    @Test func pruneDryRunJSONThenTheRealRunRemovesExactlyThat() throws {
        let fixture = try TargetFixture()
        let newest = try fixture.complete(daysAgo: 1)
        let second = try fixture.complete(daysAgo: 2)
        let old = try fixture.complete(daysAgo: 10)
        let failed = try fixture.failed(daysAgo: 3)
        let partial = try fixture.partial(daysAgo: 0.5)
        let before = try fixture.names()
        let dryRun = try pgsnap(fixture, ["prune", "--keep-days", "5", "--dry-run", "--json"])
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(try fixture.names() == before, "a dry run removes nothing")
        let planned = try dryRun.json()
        #expect(planned["dry_run"] as? Bool == true)
        let removed = try #require(planned["removed"] as? [[String: String]])
        #expect(removed == [["id": failed, "status": "failed"], ["id": old, "status": "complete"]])
        #expect((planned["kept"] as? [[String: String]])?.map { $0["id"] } == [partial, newest, second])

        let real = try pgsnap(fixture, ["prune", "--keep-days", "5", "--json"])
        #expect(real.status == 0, "\(real.output)")
        let done = try real.json()
        #expect(done["dry_run"] as? Bool == false)
        #expect(done["removed"] as? [[String: String]] == removed)
        #expect(try fixture.names() == [newest, second, partial + ".partial"].sorted())
    }

    @Test func pruneTextSaysWhatWentAndWhatStays() throws {
        let fixture = try TargetFixture()
        let newest = try fixture.complete(daysAgo: 1)
        let old = try fixture.complete(daysAgo: 2)
        let dryRun = try pgsnap(fixture, ["prune", "--keep-last", "1", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(Self.collapsed(dryRun.stdout).contains("would remove \(old) complete"))
        #expect(Self.collapsed(dryRun.stdout).contains("kept \(newest) complete"))
        let real = try pgsnap(fixture, ["prune", "--keep-last", "1"])
        #expect(Self.collapsed(real.stdout).contains("removed \(old) complete"), "\(real.stdout)")
        #expect(try fixture.names() == [newest])
    }

    /// prune takes the run lock like a backup: while another run holds it, it removes nothing
    /// and exits 7; a dry run needs no lock and still shows the running backup as kept.
    @Test func pruneWaitsForNoRunWhileTheLockIsHeld() throws {
        let fixture = try TargetFixture()
        try fixture.complete(daysAgo: 3)
        try fixture.complete(daysAgo: 1)
        let running = try fixture.partial(daysAgo: 2)
        let descriptor = fixture.holdLock()
        defer { close(descriptor) }
        let list = try pgsnap(fixture, ["list", "--json"])
        let entries = try #require(try list.json()["backups"] as? [[String: Any]])
        #expect(entries.first { $0["id"] as? String == running }?["status"] as? String == "running")
        let prune = try pgsnap(fixture, ["prune", "--keep-last", "1", "--json"])
        #expect(prune.status == 7, "\(prune.output)")
        #expect(try prune.json()["exit_status"] as? Int == 7)
        #expect(try fixture.names().count == 3, "nothing removed while another run holds the lock")
        let dryRun = try pgsnap(fixture, ["prune", "--keep-last", "1", "--dry-run", "--json"])
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect((try dryRun.json()["removed"] as? [Any])?.count == 1)
        #expect(try fixture.names().contains(running + ".partial"))
    }

    /// Text with runs of spaces collapsed, so expectations do not depend on column widths.
    static func collapsed(_ text: String) -> String {
        text.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        }
        .joined(separator: "\n")
    }
}

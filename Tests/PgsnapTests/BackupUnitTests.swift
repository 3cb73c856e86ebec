import CSystemShims
import Catalog
import Foundation
import Storage
import Testing

@testable import Backup
@testable import PostgresClient
@testable import PostgresFormat
@testable import TargetLayout

@Suite("Backup building blocks", .unit)
struct BackupUnitTests {
    @Test func backupIDsSortByTimeAndAreValidNames() throws {
        let id = BackupID.make(at: Date(timeIntervalSince1970: 1_795_000_000))
        #expect(id == "20261118T110640Z")
        #expect(BackupID.isValid(id))
        #expect(!BackupID.isValid("20261209T073320Z.partial"))
        #expect(!BackupID.isValid("lost+found"))
        try LVMName.validate(BackupPlan.snapshotName(origin: "data", id: id))
        let long = BackupPlan.snapshotName(origin: String(repeating: "x", count: 200), id: id)
        #expect(long.count == 127)
        #expect(long.hasSuffix("_pgsnap_" + id))
    }

    @Test func leftoversAreOnlyPgsnapsOwnSnapshots() {
        func volume(_ name: String, origin: String?, tags: [String] = []) -> LogicalVolume {
            LogicalVolume(
                volumeGroup: "vg", name: name, uuid: name, kind: .snapshot, origin: origin, sizeBytes: 1,
                volumeGroupFreeBytes: 1, tags: tags)
        }
        #expect(Leftovers.isPgsnapSnapshot(volume("data_pgsnap_20261124T031500Z", origin: "data")))
        #expect(Leftovers.isPgsnapSnapshot(volume("anything", origin: "data", tags: ["pgsnap"])))
        #expect(!Leftovers.isPgsnapSnapshot(volume("data_pgsnap_nightly", origin: "data")))
        #expect(
            !Leftovers.isPgsnapSnapshot(volume("data_pgsnap_20261124T031500Z", origin: nil)),
            "a volume that is not a snapshot is never removed")
        #expect(!Leftovers.isPgsnapSnapshot(volume("mysnap", origin: "data", tags: ["backup"])))
    }

    @Test func walSegmentNamesFollowXLogFileName() throws {
        let start = try #require(LSN(parsing: "0/2FFFFF8"))
        let stop = try #require(LSN(parsing: "1/000001A0"))
        #expect(
            WALFileName(timeline: 1, containing: start, segmentSize: 16 << 20).name(segmentSize: 16 << 20)
                == "000000010000000000000002")
        #expect(
            WALFileName(timeline: 3, containing: stop, segmentSize: 16 << 20).name(segmentSize: 16 << 20)
                == "000000030000000100000000")
        let names = WALFileName.names(
            from: try #require(LSN(parsing: "0/FE000000")), through: stop, timeline: 1,
            segmentSize: 16 << 20)
        #expect(names == ["0000000100000000000000FE", "0000000100000000000000FF", "000000010000000100000000"])
        #expect(LSN(parsing: "16/B374D848")?.description == "16/B374D848")
    }

    @Test func labelTimelineIsRead() {
        let stopped = BackupMode.Stopped(
            lsn: LSN(1),
            labelFile: "START WAL LOCATION: 0/2000028 (file 000000020000000000000002)\nSTART TIMELINE: 2\n",
            tablespaceMap: "")
        #expect(stopped.timeline == 2)
    }

    @Test func backupModeSQLPerVersion() throws {
        let old = ScriptedSession(
            version: 140_000,
            answers: [
                ("pg_start_backup", .success(.init(columns: ["x"], rows: [["0/2000028"]]))),
                (
                    "pg_stop_backup",
                    .success(.init(columns: ["lsn", "labelfile", "spcmapfile"], rows: [["0/2000100", "L", ""]]))
                ),
                ("", .success(.init(columns: [], rows: []))),
            ])
        let mode = BackupMode(session: old)
        try mode.prepareSession()
        try mode.reserveWAL(slotName: "pgsnap_x")
        #expect(try mode.start(label: "l", fastCheckpoint: true).lsn.description == "0/2000028")
        #expect(mode.isActive)
        _ = try mode.stop(waitForArchive: false)
        #expect(!mode.isActive)
        #expect(old.statements.contains("SET idle_session_timeout = 0"))
        #expect(
            old.statements.contains { $0.contains("pg_start_backup($1, $2, false)") },
            "exclusive must be false explicitly")
        #expect(old.statements.contains { $0.contains("pg_stop_backup(false, $1)") })
        #expect(old.statements.contains { $0.contains("pg_create_physical_replication_slot($1, true, true)") })
        let older = ScriptedSession(version: 130_000, answers: [("", .success(.init(columns: [], rows: [])))])
        try BackupMode(session: older).prepareSession()
        #expect(!older.statements.contains("SET idle_session_timeout = 0"), "13 has no idle_session_timeout")
    }

    @Test func abandonEndsBackupModeAndDropsTheSlotEvenWhenTheStopFails() throws {
        let session = ScriptedSession(
            version: 150_000,
            answers: [
                ("pg_backup_start", .success(.init(columns: ["x"], rows: [["0/2000028"]]))),
                (
                    "pg_backup_stop",
                    .failure(PostgresError(code: .queryFailed, libpqMessage: "backup is not in progress"))
                ),
                ("", .success(.init(columns: [], rows: []))),
            ])
        let mode = BackupMode(session: session)
        try mode.reserveWAL(slotName: "pgsnap_x")
        _ = try mode.start(label: "l", fastCheckpoint: true)
        mode.abandon()
        #expect(session.statements.suffix(2).map { $0.contains("pg_backup_stop") } == [true, false])
        #expect(session.statements.last?.contains("pg_drop_replication_slot") == true)
        #expect(!mode.isActive)
        #expect(mode.slotName == nil)
    }

    @Test func backupRecordIsSnakeCaseJSON() throws {
        let record = BackupRecord(
            id: "20261124T031500Z", label: "l", status: .complete, pgsnapVersion: "0.1.0", postgresVersion: "15.3",
            postgresVersionNumber: 150003, systemIdentifier: "1", timeline: 1, startLSN: "0/1", stopLSN: "0/2",
            walSegments: [], startTime: Date(timeIntervalSince1970: 0), stopTime: Date(timeIntervalSince1970: 1),
            backupModeSeconds: 0.5, snapshotMode: "lvm", dataDirectory: "/d", dataDirectoryOwner: 101,
            dataDirectoryGroup: 104, tablespaces: [], volumes: [], bytesRead: 10, bytesWritten: 5, compressionRatio: 2,
            throughputBytesPerSecond: 10, compressionLevel: 3, manifestChecksums: "crc32c")
        let object = try JSONSerialization.jsonObject(with: try record.encoded()) as? [String: Any]
        #expect(object?["backup_mode_seconds"] as? Double == 0.5)
        #expect(object?["start_lsn"] as? String == "0/1")
        #expect(object?["start_time"] as? String == "1970-01-01T00:00:00Z")
    }

    /// The commit's proof that `<id>.partial` still holds exactly what the run wrote.
    @Test func writtenFilesCatchARemovedReplacedOrTruncatedArchive() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-written-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ name: String, _ count: Int) throws {
            try Data(repeating: 1, count: count).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        try write("base.tar.zst", 100)
        try write("backup_manifest", 10)
        var written = WrittenFiles()
        try written.record("base.tar.zst", in: directory, size: 100)
        try written.record("backup_manifest", in: directory)
        try written.check(in: directory)
        #expect(throws: BackupError.self, "a size other than the one written") {
            try written.record("backup_manifest", in: directory, size: 11)
        }

        unlink(directory + "/base.tar.zst")
        let removed = #expect(throws: BackupError.self) { try written.check(in: directory) }
        #expect(removed?.code == .archiveChanged)
        #expect(removed?.exitStatus == .target)
        #expect(
            removed?.message.contains("base.tar.zst was removed during the run") == true,
            "\(String(describing: removed))")

        try write("base.tar.zst", 100)  // same name, same size, another file (maybe the freed inode)
        let recreated = #expect(throws: BackupError.self) { try written.check(in: directory) }
        #expect(recreated?.message.contains("replaced or changed") == true)
        try written.record("base.tar.zst", in: directory, size: 100)
        try write("other", 100)
        #expect(rename(directory + "/other", directory + "/base.tar.zst") == 0)
        let replaced = #expect(throws: BackupError.self) { try written.check(in: directory) }
        #expect(replaced?.message.contains("replaced or changed") == true)

        try written.record("base.tar.zst", in: directory, size: 100)
        truncate(directory + "/base.tar.zst", 50)
        #expect(throws: BackupError.self, "a truncated archive") { try written.check(in: directory) }
    }

    /// A commit or a failed-run record never lands on an existing name, not even an empty directory.
    @Test func renameNoReplaceNeverOverwrites() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-rename-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(mkdir(directory + "/a.partial", 0o700) == 0 && mkdir(directory + "/a.failed", 0o700) == 0)
        #expect(pgsnap_rename_noreplace(directory + "/a.partial", directory + "/a.failed") == -1 && errno == EEXIST)
        #expect(pgsnap_rename_noreplace(directory + "/a.partial", directory + "/b.failed") == 0)
    }
}

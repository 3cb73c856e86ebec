import Foundation
import Testing

@testable import Archive
@testable import Backup
@testable import PostgresFormat
@testable import Restore
@testable import TargetLayout

/// The parts of restore that need no archive: option parsing, recovery settings, the rewritten
/// tablespace_map, and the member-name rules every extraction goes through.
@Suite("Restore building blocks", .unit)
struct RestoreUnitTests {
    @Test func tablespaceMappingsParseByOIDOrName() throws {
        let byOID = try TablespaceMapping(parsing: "16384=/srv/fast/")
        #expect(byOID.selector == .oid(16384))
        #expect(byOID.directory == "/srv/fast")
        let byName = try TablespaceMapping(parsing: "fast=/srv/a=b")
        #expect(byName.selector == .name("fast"))
        #expect(byName.directory == "/srv/a=b")
        for bad in ["fast", "=/srv", "fast=relative/dir", "fast="] {
            #expect(throws: RestoreError.self, "\(bad)") { try TablespaceMapping(parsing: bad) }
        }
    }

    @Test func recoverySettingsWriteNothingWhenEmpty() throws {
        let settings = RecoverySettings()
        #expect(settings.isEmpty)
        #expect(settings.signalFile == nil)
        #expect(settings.configurationLines.isEmpty)
        try settings.validate(serverMajorVersion: 15)
    }

    @Test func recoverySettingsQuoteValuesForPostgresqlAutoConf() throws {
        let settings = RecoverySettings(
            restoreCommand: "cp '/wal arch/%f' %p \\x", targetName: "it's", targetAction: .promote)
        try settings.validate(serverMajorVersion: 16)
        #expect(settings.signalFile == "recovery.signal")
        #expect(
            settings.configurationLines == [
                "restore_command = 'cp ''/wal arch/%f'' %p \\\\x'",
                "recovery_target_name = 'it''s'",
                "recovery_target_action = 'promote'",
            ])
        #expect(RecoverySettings(standby: true).signalFile == "standby.signal")
    }

    @Test(arguments: [
        RecoverySettings(restoreCommand: "cp", targetTime: "2026-01-01", targetName: "x"),
        RecoverySettings(restoreCommand: "cp", targetAction: .pause),
        RecoverySettings(restoreCommand: "cp", targetLSN: "0/XYZ"),
        RecoverySettings(restoreCommand: "cp", targetLSN: "3000060"),
        RecoverySettings(targetName: "before"),
        RecoverySettings(restoreCommand: "cp %p\nrestore_command = 'rm -rf /'"),
    ])
    func contradictoryRecoverySettingsAreRefused(_ settings: RecoverySettings) {
        #expect(throws: RestoreError.self) { try settings.validate(serverMajorVersion: 15) }
    }

    @Test func recoverySettingsForOldServersAreRefused() {
        #expect(throws: RestoreError.self) {
            try RecoverySettings(restoreCommand: "cp").validate(serverMajorVersion: 11)
        }
    }

    @Test func tablespaceMapKeepsTheOriginalBytesUnlessATablespaceMoved() {
        let fast = BackupRecord.Tablespace(oid: 16384, name: "fast", location: "/srv/fast")
        let odd = BackupRecord.Tablespace(oid: 16390, name: "odd", location: "/srv/odd")
        let original = Array("16384 /srv/fast\n16390 /srv/odd\n".utf8)
        let unchanged = Restorer.tablespaceMap(
            [.init(tablespace: fast, location: "/srv/fast"), .init(tablespace: odd, location: "/srv/odd")],
            original: original)
        #expect(unchanged == original)
        let moved = Restorer.tablespaceMap(
            [.init(tablespace: fast, location: "/new/fast"), .init(tablespace: odd, location: "/new/we\\ird\nname")],
            original: original)
        #expect(String(decoding: moved, as: UTF8.self) == "16384 /new/fast\n16390 /new/we\\\\ird\\\nname\n")
    }

    @Test func memberNamesThatLeaveTheRootAreRefused() {
        for bad in ["../escape", "/etc/passwd", "base/../../x", "", ".", "./", "a/..", "//x"] {
            if case .success(let parts) = MemberPath.components(RawPath(bad)) {
                Issue.record("\(bad) accepted as \(parts)")
            }
        }
        if case .success(let parts) = MemberPath.components("./base//16384/./1259") {
            #expect(parts.map { String(decoding: $0, as: UTF8.self) } == ["base", "16384", "1259"])
        } else {
            Issue.record("a harmless name was refused")
        }
    }

    @Test func walFileNamesAreRecognised() {
        #expect(MemberPath.isWALFileName("000000010000000000000003"))
        #expect(MemberPath.isWALFileName("00000002.history"))
        #expect(!MemberPath.isWALSegmentName("00000002.history"))
        for bad in [
            "00000001000000000000000", "0000000100000000000000030", "00000001000000000000000g", "x.history",
            "000000010000000000000003.partial", "../00000001000000000000003",
        ] {
            #expect(!MemberPath.isWALFileName(Substring(bad)), "\(bad)")
        }
    }

    @Test func theWALArchiveHoldsWALAndDoneMarkersOnly() {
        #expect(MemberPath.belongsInWALArchive("000000010000000000000003", kind: .file))
        #expect(MemberPath.belongsInWALArchive("00000002.history", kind: .file))
        #expect(MemberPath.belongsInWALArchive("archive_status/000000010000000000000003.done", kind: .file))
        #expect(MemberPath.belongsInWALArchive("archive_status", kind: .directory))
        #expect(!MemberPath.belongsInWALArchive("archive_status/postgresql.conf.done", kind: .file))
        #expect(!MemberPath.belongsInWALArchive("base", kind: .directory))
        #expect(!MemberPath.belongsInWALArchive("000000010000000000000003", kind: .symlink))
        #expect(MemberPath.tablespaceOID([Array("pg_tblspc".utf8), Array("16384".utf8), Array("PG_15".utf8)]) == 16384)
        #expect(MemberPath.tablespaceOID([Array("pg_tblspc".utf8)]) == nil)
        #expect(MemberPath.tablespaceOID([Array("base".utf8), Array("16384".utf8)]) == nil)
    }

    @Test func ownersResolveByNameOrNumber() throws {
        let root = try RestoreOwner.resolve("root")
        #expect(root == RestoreOwner(uid: 0, gid: 0))
        #expect(try RestoreOwner.resolve("0") == root)
        #expect(try RestoreOwner.resolve("4242424") == RestoreOwner(uid: 4_242_424, gid: 4_242_424))
        #expect(throws: RestoreError.self) { try RestoreOwner.resolve("no-such-user-pgsnap") }
    }

    @Test func aSymlinkedDestinationMeansItsDirectory() throws {
        let root = try TemporaryDirectory.make(prefix: "pgsnap-restore-unit-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/real")
        let real = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link")
        #expect(Restorer.followingSymlink(root + "/link") == real)
        #expect(Restorer.followingSymlink(root + "/real") == root + "/real")
        #expect(Restorer.followingSymlink(root + "/missing") == root + "/missing")
    }
}

import Foundation
import Testing

/// The fixtures the restore and verify tests depend on, checked against GNU tar, zstd and
/// PostgreSQL's own pg_verifybackup, so that a failing restore/verify test means pgsnap is
/// wrong, not the damage the test meant to do.
@Suite("test fixtures: hostile archives and tampered backups", .serialized, .integration)
struct TestFixtureTests {
    @Test func rawTarHeadersAreReadByGNUTar() throws {
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-rawtar-")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let tar =
            RawTar.directory("dir/") + RawTar.file("dir/a.txt", "hello\n") + RawTar.symlink("dir/link", to: "a.txt")
            + RawTar.hardLink("dir/hard", to: "dir/a.txt") + RawTar.end
        try BackupTampering.write(tar, to: scratch + "/t.tar")
        let listing = try Command.output("/usr/bin/tar", ["-tvf", scratch + "/t.tar"])
        #expect(
            listing.contains("dir/a.txt") && listing.contains("dir/link -> a.txt")
                && listing.contains("dir/hard link to dir/a.txt"),
            "\(listing)")
        try FileManager.default.createDirectory(atPath: scratch + "/x", withIntermediateDirectories: false)
        try Command.output("/usr/bin/tar", ["-xf", scratch + "/t.tar", "-C", scratch + "/x"])
        #expect(try String(contentsOfFile: scratch + "/x/dir/a.txt", encoding: .utf8) == "hello\n")
        #expect(try RawTar.members(of: tar).map(\.name) == ["dir/", "dir/a.txt", "dir/link", "dir/hard"])
    }

    @Test(arguments: HostileBackup.Attack.allCases)
    func hostileBackupsCarryTheirAttackAndAValidManifest(_ attack: HostileBackup.Attack) throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-hostile-target-")
        let places = try HostileBackup.Places.make()
        defer {
            try? FileManager.default.removeItem(atPath: target)
            places.remove()
        }
        let backup = try HostileBackup.make(attack, places: places, from: shared, into: target, as: "20200101T000000Z")
        try Command.output("/usr/bin/zstd", ["-t", "-q", backup + "/base.tar.zst"])
        let tar = try BackupTampering.decompressed(backup + "/base.tar.zst")
        let names = try RawTar.members(of: tar).map(\.name)
        let planted = try RawTar.members(of: HostileBackup.members(attack, places).tar + RawTar.end).map(\.name)
        // Planted just before backup_label, which stays second to last (tablespace_map last).
        let labelIndex = try #require(names.firstIndex(of: "backup_label"))
        #expect(Array(names[(labelIndex - planted.count)..<labelIndex]) == planted, "\(names.suffix(8))")
        #expect(names.last == "tablespace_map")
        // GNU tar reads the archive (listing only: never extract these).
        let listing = Command.run("/bin/sh", ["-c", "zstd -dcq \"$0\" | tar -tvf -", backup + "/base.tar.zst"])
        #expect(listing.status == 0, "\(listing.output.suffix(500))")
        let manifest = try String(contentsOfFile: backup + "/backup_manifest", encoding: .utf8)
        #expect(try BackupTampering.withRecomputedChecksum(manifest) == manifest, "manifest checksum")
        for (path, contents) in HostileBackup.members(attack, places).files {
            #expect(manifest.contains(BackupTampering.manifestLine(path: path, contents: contents)))
        }
        let record = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: backup + "/backup.json")))
        #expect((record as? [String: Any])?["id"] as? String == "20200101T000000Z")
        #expect((record as? [String: Any])?["status"] as? String == "complete")
    }

    @Test func zstdSeesTheArchiveDamage() throws {
        let shared = try SharedBackup.get()
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-tamper-check-")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        func damaged(_ name: String, _ tamper: (String) throws -> Void) throws -> (status: Int32, output: String) {
            let path = scratch + "/" + name
            try FileManager.default.copyItem(atPath: shared.directory + "/base.tar.zst", toPath: path)
            try tamper(path)
            let result = Command.run("/usr/bin/zstd", ["-t", "-q", path])
            return (result.status, result.output)
        }
        #expect(try damaged("middle") { try BackupTampering.flipByte(in: $0) }.status != 0)
        let checksum = try damaged("last") { try BackupTampering.flipByte(in: $0, at: -1) }
        #expect(checksum.status != 0 && checksum.output.lowercased().contains("checksum"), "\(checksum.output)")
        #expect(try damaged("half") { try BackupTampering.truncateByHalf($0) }.status != 0)
        let rewritten = try damaged("rewritten") {
            try BackupTampering.rewrite($0) { try BackupTampering.changeByte(ofMember: "PG_VERSION", in: &$0) }
        }
        #expect(rewritten.status == 0, "a rewritten archive is a well-formed frame: \(rewritten.output)")
    }

    /// PostgreSQL's pg_verifybackup agrees with the manifest edits: a recomputed checksum is
    /// accepted (only the size is wrong), an unrecomputed one is not, added lines parse.
    @Test func pgVerifyBackupAgreesWithTheManifestEdits() throws {
        let shared = try SharedBackup.get()
        let restored = try RestoredCluster(backup: shared.directory, installation: shared.installation)
        defer { restored.destroy() }
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-manifest-check-")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        func verify(_ edit: (String) throws -> Void) throws -> (status: Int32, output: String) {
            let manifest = scratch + "/backup_manifest"
            try? FileManager.default.removeItem(atPath: manifest)
            try FileManager.default.copyItem(atPath: shared.directory + "/backup_manifest", toPath: manifest)
            try edit(manifest)
            return restored.verify(manifest: manifest)
        }
        #expect(try verify { _ in }.status == 0)
        let fixed = try verify { path in
            try BackupTampering.editManifest(path, fixChecksum: true) {
                try BackupTampering.changeManifestSize(of: "PG_VERSION", in: $0)
            }
        }
        #expect(
            fixed.status != 0 && fixed.output.contains("PG_VERSION")
                && !fixed.output.contains("checksum mismatch for manifest"),
            "\(fixed.output)")
        let unfixed = try verify { path in
            try BackupTampering.editManifest(path, fixChecksum: false) {
                try BackupTampering.changeManifestSize(of: "PG_VERSION", in: $0)
            }
        }
        #expect(unfixed.status != 0 && unfixed.output.contains("manifest checksum mismatch"), "\(unfixed.output)")
        let added = try verify { path in
            try BackupTampering.addToManifest(path, files: [("planted.txt", HostileBackup.payload)])
        }
        #expect(
            added.status != 0 && added.output.contains("planted.txt") && !added.output.contains("could not parse"),
            "\(added.output)")
    }
}

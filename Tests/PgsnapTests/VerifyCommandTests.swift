import Foundation
import Testing

@testable import PostgresFormat

/// `pgsnap verify` (and `restore`) on copies of one real backup, each damaged in one known way:
/// every damage must be found and named, and a restore must stop without leaving anything that
/// looks startable.
@Suite("pgsnap verify on damaged copies of a real backup", .serialized, .integration)
struct VerifyCommandTests {
    /// One entry of `problems` in verify's JSON.
    struct Problem: CustomStringConvertible {
        var kind: String
        var archive: String?
        var path: String?
        var message: String

        var description: String { "\(kind) archive=\(archive ?? "-") path=\(path ?? "-"): \(message)" }

        /// The problem is about `name` (an archive or a file in one).
        func names(_ name: String) -> Bool {
            archive == name || path?.hasSuffix(name) == true || message.contains(name)
        }
    }

    struct Verification {
        let run: Pgsnap.Run
        let json: [String: Any]
        /// backups[] by id.
        let backups: [String: [String: Any]]

        func problems(_ id: String) -> [Problem] {
            ((backups[id]?["problems"] as? [[String: Any]]) ?? []).map {
                Problem(
                    kind: $0["kind"] as? String ?? "", archive: $0["archive"] as? String,
                    path: $0["path"] as? String, message: $0["message"] as? String ?? "")
            }
        }
    }

    static let id = "20200101T000000Z"
    /// How damage to an archive's bytes may be classified.
    static let contentDamage: Set = ["archive_corrupt", "archive_truncated", "file_checksum", "file_size"]

    // MARK: - One kind of damage at a time

    @Test func anIntactCopyVerifies() throws {
        try withCopy { _, _ in
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 0, "\(verified.run.output)")
            #expect(verified.json["ok"] as? Bool == true)
            let entry = try #require(verified.backups[Self.id], "\(verified.json)")
            #expect(entry["ok"] as? Bool == true)
            #expect((entry["files"] as? Int ?? 0) > 0, "\(entry)")
            #expect((entry["bytes"] as? Int ?? 0) > 0, "\(entry)")
            #expect(entry["seconds"] is Double || entry["seconds"] is Int)
            #expect(entry["throughput_bytes_per_second"] is Double || entry["throughput_bytes_per_second"] is Int)
            #expect(verified.problems(Self.id).isEmpty, "\(verified.problems(Self.id))")
            #expect((entry["warnings"] as? [String]) == [], "\(entry)")
            let text = try Pgsnap.run(["verify", Self.id, "--target", target])
            #expect(text.status == 0, "\(text.output)")
        }
    }

    @Test func aFlippedByteInTheMiddleOfBaseIsFound() throws {
        try expectDamage(found: Self.contentDamage, naming: "base.tar.zst") { backup, _ in
            try BackupTampering.flipByte(in: backup + "/base.tar.zst")
        }
    }

    /// The last byte belongs to zstd's frame checksum: every file decodes and matches the
    /// manifest, only the end of the stream shows the damage.
    @Test func aFlippedFrameChecksumIsFound() throws {
        try expectDamage(found: ["archive_corrupt"], naming: "base.tar.zst") { backup, _ in
            try BackupTampering.flipByte(in: backup + "/base.tar.zst", at: -1)
        }
    }

    @Test func aTruncatedArchiveIsFound() throws {
        try expectDamage(found: ["archive_truncated", "archive_corrupt"], naming: "base.tar.zst") { backup, _ in
            try BackupTampering.truncateByHalf(backup + "/base.tar.zst")
        }
    }

    @Test func aMissingTablespaceArchiveIsFound() throws {
        let oid = try SharedBackup.get().tablespaceOID
        try expectDamage(found: ["archive_missing"], naming: "\(oid).tar.zst") { backup, _ in
            try FileManager.default.removeItem(atPath: backup + "/\(oid).tar.zst")
        }
    }

    @Test func aMissingManifestIsFound() throws {
        try expectDamage(found: ["manifest_missing"], naming: nil) { backup, _ in
            try FileManager.default.removeItem(atPath: backup + "/backup_manifest")
        }
    }

    @Test func anEditedManifestFailsItsChecksum() throws {
        try expectDamage(found: ["manifest_checksum"], naming: nil) { backup, _ in
            try BackupTampering.editManifest(backup + "/backup_manifest", fixChecksum: false) {
                try BackupTampering.changeManifestSize(of: "PG_VERSION", in: $0)
            }
        }
    }

    /// With Manifest-Checksum recomputed the edit is only visible against the archive.
    @Test func aManifestSizeThatDisagreesWithTheArchiveIsFound() throws {
        try expectDamage(found: ["file_size"], naming: "PG_VERSION") { backup, _ in
            try BackupTampering.editManifest(backup + "/backup_manifest", fixChecksum: true) {
                try BackupTampering.changeManifestSize(of: "PG_VERSION", in: $0)
            }
        }
    }

    /// A well-formed zstd frame around a tar in which one file's bytes changed: only the
    /// manifest's CRC-32C can tell.
    @Test func aChangedFileInsideAWellFormedArchiveIsFound() throws {
        try expectDamage(found: ["file_checksum"], naming: "PG_VERSION") { backup, _ in
            try BackupTampering.rewrite(backup + "/base.tar.zst") {
                try BackupTampering.changeByte(ofMember: "PG_VERSION", in: &$0)
            }
        }
    }

    @Test func aFileTheManifestDoesNotListIsFound() throws {
        try expectDamage(found: ["file_unexpected"], naming: "unexpected.conf") { backup, _ in
            try BackupTampering.rewrite(backup + "/base.tar.zst") {
                try BackupTampering.insert(
                    RawTar.file("unexpected.conf", "shared_buffers = 1TB\n"), before: "backup_label", in: &$0)
            }
        }
    }

    /// An archive backup.json does not list would be ignored by a restore: reported, not trusted.
    @Test func anArchiveBackupJSONDoesNotListIsFound() throws {
        try expectDamage(found: ["file_unexpected"], naming: "99999.tar.zst") { backup, _ in
            try FileManager.default.copyItem(atPath: backup + "/pg_wal.tar.zst", toPath: backup + "/99999.tar.zst")
        }
    }

    @Test func aFileMissingFromItsArchiveIsFound() throws {
        try expectDamage(found: ["file_missing"], naming: "PG_VERSION") { backup, _ in
            try BackupTampering.rewrite(backup + "/base.tar.zst") {
                try BackupTampering.removeMember("PG_VERSION", from: &$0)
            }
        }
    }

    @Test func aMissingWALSegmentIsFound() throws {
        let shared = try SharedBackup.get()
        let record = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: shared.directory + "/backup.json")))
        let segment = try #require(((record as? [String: Any])?["wal_segments"] as? [String])?.first)
        try expectDamage(found: ["wal_missing"], naming: segment) { backup, _ in
            try BackupTampering.rewrite(backup + "/pg_wal.tar.zst") {
                try BackupTampering.removeMember(segment, from: &$0)
            }
        }
    }

    @Test func twoProblemsAtOnceAreBothReported() throws {
        try withCopy { backup, _ in
            try BackupTampering.flipByte(in: backup + "/base.tar.zst")
            try FileManager.default.removeItem(atPath: backup + "/pg_wal.tar.zst")
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            let problems = verified.problems(Self.id)
            #expect(
                problems.contains { Self.contentDamage.contains($0.kind) && $0.names("base.tar.zst") }, "\(problems)")
            #expect(problems.contains { $0.kind == "archive_missing" && $0.names("pg_wal.tar.zst") }, "\(problems)")
        }
    }

    // MARK: - --all

    @Test func verifyAllReportsEachBackup() throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-verify-all-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let (intact, flipped, unlisted) = ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z")
        try shared.copy(into: target, as: intact)
        try BackupTampering.flipByte(in: try shared.copy(into: target, as: flipped) + "/base.tar.zst")
        try FileManager.default.removeItem(atPath: try shared.copy(into: target, as: unlisted) + "/backup_manifest")

        let verified = try verify(target, ["--all"])
        #expect(verified.run.status == 9, "\(verified.run.output)")
        #expect(verified.json["ok"] as? Bool == false)
        #expect(Set(verified.backups.keys) == [intact, flipped, unlisted], "\(verified.json)")
        #expect(verified.backups[intact]?["ok"] as? Bool == true)
        #expect(verified.problems(intact).isEmpty, "\(verified.problems(intact))")
        #expect(verified.backups[flipped]?["ok"] as? Bool == false)
        #expect(
            verified.problems(flipped).contains { Self.contentDamage.contains($0.kind) && $0.names("base.tar.zst") },
            "\(verified.problems(flipped))")
        #expect(verified.backups[unlisted]?["ok"] as? Bool == false)
        #expect(
            verified.problems(unlisted).contains { $0.kind == "manifest_missing" }, "\(verified.problems(unlisted))")
        // The text form names both damaged backups.
        let text = try Pgsnap.run(["verify", "--all", "--target", target])
        #expect(text.status == 9)
        #expect(text.output.contains(flipped) && text.output.contains(unlisted), "\(text.output)")

        // Only intact ones: exit 0.
        try FileManager.default.removeItem(atPath: target + "/" + flipped)
        try FileManager.default.removeItem(atPath: target + "/" + unlisted)
        try shared.copy(into: target, as: "20200104T000000Z")
        let clean = try verify(target, ["--all"])
        #expect(clean.run.status == 0, "\(clean.run.output)")
        #expect(clean.json["ok"] as? Bool == true)
        #expect(Set(clean.backups.keys) == [intact, "20200104T000000Z"])
    }

    // MARK: - restore stops on damage

    /// Damage found during a restore: exit 9, and nothing left that PostgreSQL would start from.
    @Test(arguments: ["middle", "frame checksum", "truncated", "tablespace archive missing"])
    func restoreOfADamagedCopyStopsAndLeavesNothingStartable(_ damage: String) throws {
        let shared = try SharedBackup.get()
        try withCopy { backup, _ in
            switch damage {
            case "middle": try BackupTampering.flipByte(in: backup + "/base.tar.zst")
            case "frame checksum": try BackupTampering.flipByte(in: backup + "/base.tar.zst", at: -1)
            case "truncated": try BackupTampering.truncateByHalf(backup + "/base.tar.zst")
            default: try FileManager.default.removeItem(atPath: backup + "/\(shared.tablespaceOID).tar.zst")
            }
        } check: { target, _ in
            let destination = try TemporaryDirectory.make(prefix: "pgsnap-restore-damaged-", owner: TestCluster.user)
            defer { try? FileManager.default.removeItem(atPath: destination) }
            let pgdata = destination + "/data"
            let tablespace = destination + "/ts"
            let run = try Pgsnap.run([
                "restore", Self.id, "--target", target, "--pgdata", pgdata, "--tablespace",
                "fast=" + tablespace,
            ])
            #expect(run.status == 9, "\(damage): \(run.output)")
            #expect(run.lines(naming: "pgsnap: ").count >= 1, "\(run.output)")
            #expect(!FileTree.exists(pgdata + "/backup_label"), "\(damage)")
            #expect(!FileTree.exists(pgdata + "/global/pg_control"), "\(damage)")
            // "On failure it removes what it wrote."
            #expect(FileTree.isAbsentOrEmpty(pgdata), "\(damage): \(FileTree.paths(pgdata).prefix(20))")
            #expect(FileTree.isAbsentOrEmpty(tablespace), "\(damage): \(FileTree.paths(tablespace).prefix(20))")
        }
    }

    // MARK: - backup.json and the backup's identity

    /// An edit of backup.json that leaves its checksum stale is found by verify and refused by
    /// restore, whatever the field.
    @Test(arguments: ["system_identifier", "timeline", "stop_lsn", "data_directory_owner"])
    func anEditedRecordFailsItsChecksum(_ field: String) throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .stale) { Self.tamper(field, in: &$0) }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            #expect(
                verified.problems(Self.id).contains { $0.kind == "record_invalid" && $0.message.contains("checksum") },
                "\(verified.problems(Self.id))")
            try expectRestoreRefused(target, "\(field) edited")
        }
    }

    /// Without a checksum (a record as an older pgsnap wrote it) the same edits are still caught,
    /// by backup_label, backup_manifest, pg_control and the WAL's page headers.
    @Test(arguments: ["system_identifier", "timeline", "stop_lsn", "data_directory_owner"])
    func anEditedRecordWithoutChecksumFailsTheCrossChecks(_ field: String) throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .none) { Self.tamper(field, in: &$0) }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(field): \(verified.run.output)")
            #expect(
                verified.problems(Self.id).contains { ["record_invalid", "wal_invalid"].contains($0.kind) },
                "\(verified.problems(Self.id))")
            try expectRestoreRefused(target, "\(field) edited without checksum")
        }
    }

    @Test func aRecordWithoutChecksumStillVerifiesAndRestoresWithAWarning() throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .none) { _ in }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 0, "\(verified.run.output)")
            let warnings = verified.backups[Self.id]?["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("no checksum (written by an older pgsnap)") }, "\(warnings)")
            let text = try Pgsnap.run(["verify", Self.id, "--target", target])
            #expect(text.status == 0 && text.output.contains("warning: backup.json has no checksum"), "\(text.output)")
            let destination = try TemporaryDirectory.make(prefix: "pgsnap-restore-old-record-", owner: TestCluster.user)
            defer { try? FileManager.default.removeItem(atPath: destination) }
            let run = try Pgsnap.run([
                "restore", Self.id, "--target", target, "--pgdata", destination + "/data",
                "--tablespace", "fast=" + destination + "/ts",
            ])
            #expect(run.status == 0, "\(run.output)")
            #expect(FileTree.exists(destination + "/data/backup_label"))
        }
    }

    /// A checksum key pgsnap did not write (here moved away from the top) is no checksum at all.
    @Test func aChecksumNotInPgsnapsFormIsRefused() throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .none) {
                $0["checksum"] = String(repeating: "0", count: 64)
            }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            try expectRestoreRefused(target, "checksum elsewhere")
        }
    }

    /// A record that does not decode (re-sealed, so the checksum holds) is named by file and key.
    @Test func aRecordThatDoesNotDecodeIsNamedByKey() throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .resealed) { $0["stop_lsn"] = 5_000_028 }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            // The catalog cannot take it for a complete backup either: verify's one error line names the key.
            #expect(
                verified.run.output.contains("backup.json: key 'stop_lsn': expected a string"), "\(verified.run.output)"
            )
            let run = try expectRestoreRefused(target, "stop_lsn a number")
            #expect(run.output.contains("key 'stop_lsn'"), "\(run.output)")
        }
    }

    /// A backup.json far larger than any record is refused unread, by verify, restore and list.
    @Test func anOversizedRecordIsRefusedUnread() throws {
        try withCopy { backup, _ in
            try RecordEditing.edit(backup + "/backup.json", seal: .resealed) {
                $0["padding"] = String(repeating: "x", count: 17 << 20)
            }
        } check: { target, _ in
            let verified = try Pgsnap.run(["verify", "--target", target, Self.id])
            #expect(verified.status == 9, "\(verified.output)")
            try expectRestoreRefused(target, "17 MiB backup.json")
            let listed = try Pgsnap.run(["list", "--json", "--target", target])
            #expect(listed.status == 0, "\(listed.output)")
            let rows = try #require(try listed.json()["backups"] as? [[String: Any]])
            #expect(rows.map { $0["status"] as? String } == ["incomplete"])
        }
    }

    /// A manifest whose WAL range spans all of the LSN space (its checksum recomputed) once made
    /// verify allocate until it aborted.
    @Test func aManifestWALRangeOverTheWholeLSNSpaceIsReportedQuickly() throws {
        try withCopy { backup, _ in
            try BackupTampering.editManifest(backup + "/backup_manifest", fixChecksum: true) { text in
                let pattern = try Regex(#""Start-LSN": "[0-9A-F]+/[0-9A-F]+", "End-LSN": "[0-9A-F]+/[0-9A-F]+""#)
                return text.replacing(pattern, with: #""Start-LSN": "0/0", "End-LSN": "FFFFFFFF/FFFFFFFF""#)
            }
        } check: { target, _ in
            let started = Date()
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            #expect(Date().timeIntervalSince(started) < 120)
            let problems = verified.problems(Self.id)
            #expect(
                problems.contains { $0.kind == "wal_invalid" && $0.message.contains("FFFFFFFF/FFFFFFFF") },
                "\(problems)")
            #expect(
                problems.contains { $0.kind == "record_invalid" && $0.message.contains("WAL-Ranges") }, "\(problems)")
            try expectRestoreRefused(target, "huge WAL range")
        }
    }

    /// backup.json (re-sealed, so only the contents rule can tell) and the archives disagree
    /// on the tablespace, or the tablespace location climbs out: verify and restore refuse alike.
    @Test(arguments: ["oid mismatch", "../../etc", "/srv/../etc"])
    func aHostileTablespaceInTheRecordIsRefusedByVerifyAndRestore(_ attack: String) throws {
        try withCopy { backup, shared in
            try RecordEditing.edit(backup + "/backup.json", seal: .resealed) { record in
                var spaces = record["tablespaces"] as? [[String: Any]] ?? []
                if attack == "oid mismatch" {
                    spaces[0]["oid"] = (UInt32(shared.tablespaceOID) ?? 0) + 1
                } else {
                    spaces[0]["location"] = attack
                }
                record["tablespaces"] = spaces
            }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            #expect(
                verified.problems(Self.id).contains {
                    $0.kind == "record_invalid" && $0.message.contains("tablespace")
                },
                "\(verified.problems(Self.id))")
            try expectRestoreRefused(target, attack)
            #expect(!FileTree.exists("/nonexistent"))
        }
    }

    /// A real WAL segment of another cluster (its own initdb), under the expected name and at
    /// the same position: only xlp_sysid differs. Neither manifest version names the WAL's
    /// cluster for PostgreSQL 15, so only backup.json's system identifier can tell.
    @Test func aWALSegmentOfAnotherClusterFailsVerifyAndRestore() throws {
        let shared = try SharedBackup.get()
        let record = try RecordEditing.object(shared.directory + "/backup.json")
        let segment = try #require((record["wal_segments"] as? [String])?.first)
        let foreign = try Self.segment(named: segment, fromAnotherCluster: 15)
        try withCopy { backup, _ in
            try BackupTampering.rewrite(backup + "/pg_wal.tar.zst") { tar in
                let member = try #require(try RawTar.member(segment, in: tar))
                try #require(member.size == foreign.count, "segment sizes differ")
                tar.replaceSubrange(member.dataOffset..<(member.dataOffset + member.size), with: foreign)
            }
        } check: { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)")
            #expect(
                verified.problems(Self.id).contains {
                    $0.kind == "wal_invalid" && $0.names(segment)
                        && $0.message.contains("belongs to cluster")
                }, "\(verified.problems(Self.id))")
            let run = try expectRestoreRefused(target, "foreign WAL")
            #expect(run.output.contains(segment), "\(run.output)")
        }
    }

    private static func tamper(_ field: String, in record: inout [String: Any]) {
        switch field {
        case "system_identifier": record[field] = "7000000000000000001"
        case "timeline": record[field] = 2
        case "stop_lsn": record[field] = "0/FFFFFF0"
        default: record[field] = 0
        }
    }

    /// A segment file named `name` from a fresh cluster of its own, taken once its WAL has moved
    /// past it (so the file is complete and not yet recycled).
    private static func segment(named name: String, fromAnotherCluster major: Int) throws -> [UInt8] {
        try withCluster(major) { cluster in
            _ = try cluster.psql("CREATE TABLE filler (x int)")
            for _ in 0..<64 {
                let current = try cluster.psql("SELECT pg_walfile_name(pg_current_wal_lsn())")
                if current > name { return try BackupTampering.bytes(cluster.dataDirectory + "/pg_wal/" + name) }
                _ = try cluster.psql("INSERT INTO filler VALUES (1)")
                _ = try cluster.psql("SELECT pg_switch_wal()")
            }
            throw Command.Failure(command: "pg_switch_wal", status: 1, output: "never passed \(name)")
        }
    }

    /// Restore of `Self.id` exits 9 with a one-line message and leaves nothing behind.
    @discardableResult
    private func expectRestoreRefused(
        _ target: String, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Pgsnap.Run {
        let destination = try TemporaryDirectory.make(prefix: "pgsnap-restore-refused-", owner: TestCluster.user)
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let pgdata = destination + "/data"
        let run = try Pgsnap.run([
            "restore", Self.id, "--target", target, "--pgdata", pgdata, "--tablespace",
            "fast=" + destination + "/ts",
        ])
        #expect(run.status == 9, "\(what): \(run.output)", sourceLocation: sourceLocation)
        #expect(run.lines(naming: "pgsnap: ").count >= 1, "\(run.output)", sourceLocation: sourceLocation)
        #expect(!FileTree.exists(pgdata + "/backup_label"), "\(what)", sourceLocation: sourceLocation)
        #expect(!FileTree.exists(pgdata + "/global/pg_control"), "\(what)", sourceLocation: sourceLocation)
        #expect(
            FileTree.isAbsentOrEmpty(pgdata), "\(what): \(FileTree.paths(pgdata).prefix(20))",
            sourceLocation: sourceLocation)
        return run
    }

    // MARK: - Helpers

    /// Copies the shared backup into a fresh target as `id`, lets `tamper` damage the copy
    /// (given the copy's directory and the shared backup), then runs `check` with the target.
    private func withCopy(
        _ tamper: (String, SharedBackup) throws -> Void,
        check: (String, SharedBackup) throws -> Void
    ) throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-verify-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let backup = try shared.copy(into: target, as: Self.id)
        try tamper(backup, shared)
        try check(target, shared)
    }

    /// Verify exits 9, marks the backup not ok, and reports a problem of one of `kinds` that
    /// names `name`; the text form names it too.
    private func expectDamage(
        found kinds: Set<String>, naming name: String?,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ tamper: (String, SharedBackup) throws -> Void
    ) throws {
        try withCopy(tamper) { target, _ in
            let verified = try verify(target, [Self.id])
            #expect(verified.run.status == 9, "\(verified.run.output)", sourceLocation: sourceLocation)
            #expect(verified.json["ok"] as? Bool == false, sourceLocation: sourceLocation)
            #expect(verified.backups[Self.id]?["ok"] as? Bool == false, sourceLocation: sourceLocation)
            let problems = verified.problems(Self.id)
            #expect(
                problems.contains { kinds.contains($0.kind) && (name.map($0.names) ?? true) },
                "expected \(kinds) naming \(name ?? "-"), got \(problems)", sourceLocation: sourceLocation)
            let text = try Pgsnap.run(["verify", Self.id, "--target", target])
            #expect(text.status == 9, "\(text.output)", sourceLocation: sourceLocation)
            if let name { #expect(text.output.contains(name), "\(text.output)", sourceLocation: sourceLocation) }
        }
    }

    private func verify(_ target: String, _ arguments: [String]) throws -> Verification {
        let run = try Pgsnap.run(["verify", "--json", "--target", target] + arguments)
        let json = try #require(try? run.json(), "verify --json printed no JSON object: \(run.output)")
        let backups = (json["backups"] as? [[String: Any]]) ?? []
        return Verification(
            run: run, json: json,
            backups: Dictionary(backups.map { ($0["id"] as? String ?? "", $0) }) { first, _ in first })
    }
}

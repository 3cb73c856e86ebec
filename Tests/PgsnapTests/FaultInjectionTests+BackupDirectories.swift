import Foundation
import Testing

@testable import PostgresFormat

/// The read side's faults: a backup directory that is hostile or damaged (bad types, huge
/// ranges, traversal, OID mismatches, foreign WAL, an edited record) must make both `verify`
/// and `restore` exit 9 with one line, writing nothing; and a restore next to the running
/// original must never touch the live tablespace, with or without `--overwrite` (exit 10).
extension FaultInjectionTests {
    /// A good backup of the bench cluster, copied into each case's target under a new ID.
    struct GoodBackup: Sendable {
        let target: String
        let id: String
        let tablespaceOID: String
    }

    static func backupDirectoryFaults(_ good: GoodBackup) -> [FaultCase] {
        [
            hostile("backup.json: system_identifier of the wrong type", good) { backup in
                try editRecord(backup) { $0["system_identifier"] = 12345 }
            },
            hostile("backup.json: timeline edited", good) { backup in
                try editRecord(backup) { $0["timeline"] = (($0["timeline"] as? Int) ?? 1) + 1 }
            },
            hostile("backup.json: data directory owner edited", good) { backup in
                try editRecord(backup) { $0["data_directory_owner"] = 0 }
            },
            hostile("backup.json: tablespace location ../../etc", good) { backup in
                try editRecord(backup) { record in
                    var tablespaces = record["tablespaces"] as? [[String: Any]] ?? []
                    if !tablespaces.isEmpty { tablespaces[0]["location"] = "../../etc" }
                    record["tablespaces"] = tablespaces
                }
            },
            hostile("tablespace OID of backup.json and the archives disagree", good) { backup in
                let oid = UInt32(good.tablespaceOID) ?? 0
                try FileManager.default.moveItem(
                    atPath: backup + "/\(good.tablespaceOID).tar.zst",
                    toPath: backup + "/\(oid + 1).tar.zst")
            },
            hostile("backup_manifest: WAL range 0/0 to FFFFFFFF/FFFFFFFF", good) { backup in
                try BackupTampering.editManifest(backup + "/backup_manifest", fixChecksum: true) { text in
                    var text = text
                    for key in ["\"Start-LSN\": \"", "\"End-LSN\": \""] {
                        guard let range = text.range(of: key),
                            let end = text[range.upperBound...].firstIndex(of: "\"")
                        else { continue }
                        text.replaceSubrange(
                            range.upperBound..<end, with: key.hasPrefix("\"Start") ? "0/0" : "FFFFFFFF/FFFFFFFF")
                    }
                    return text
                }
            },
            hostile("WAL of another cluster (system identifier in the page header)", good) { backup in
                try BackupTampering.rewrite(backup + "/pg_wal.tar.zst") { tar in
                    let record = try readRecord(backup)
                    let segment = try #require((record["wal_segments"] as? [String])?.first)
                    let member = try #require(try RawTar.member(segment, in: tar), "no \(segment)")
                    // XLogLongPageHeaderData: xlp_sysid is the 8 bytes at offset 24 of the first page.
                    for offset in 24..<32 { tar[member.dataOffset + offset] ^= 0x5A }
                }
            },
            liveRestore(overwrite: false, good),
            liveRestore(overwrite: true, good),
        ]
    }

    /// A copy of the good backup damaged by `damage`: verify and restore must both exit 9
    /// with one line on stderr, and the restore must leave its destination empty.
    static func hostile(_ name: String, _ good: GoodBackup, _ damage: @escaping @Sendable (String) throws -> Void)
        -> FaultCase
    {
        FaultCase(name: name, expectedStatus: 9) { context in
            let id = "20200101T000000Z"
            let backup = try copy(good, into: context.target, as: id)
            try damage(backup)
            let verify = try Pgsnap.run([
                "verify", id, "--target", context.target, "--run-directory", context.runDirectory,
            ])
            if verify.status != 9 {
                context.problems.append("verify exited \(verify.status): \(verify.output.prefix(300))")
            }
            if stderrLines(verify) != 1 {
                context.problems.append(
                    "verify printed \(stderrLines(verify)) lines on stderr: \(verify.output.prefix(500))")
            }
            let destination = try TemporaryDirectory.make(prefix: "pgsnap-fault-dest-")
            defer { try? FileManager.default.removeItem(atPath: destination) }
            let restore = try Pgsnap.run([
                "restore", id, "--target", context.target, "--pgdata", destination + "/pgdata",
                "--tablespace", "\(good.tablespaceOID)=\(destination)/fast",
            ])
            let left = (try? FileManager.default.subpathsOfDirectory(atPath: destination)) ?? []
            if !left.isEmpty { context.problems.append("restore left \(left.prefix(5)) in its destination") }
            // Take the backup out again: the bench's "every complete backup verifies" check is
            // for what pgsnap itself committed, not for this planted copy.
            try? FileManager.default.removeItem(atPath: backup)
            return (restore.status, String(restore.output.dropFirst(restore.stdout.count)))
        }
    }

    /// `restore latest` into a new data directory with the tablespace at its original
    /// location, which the running bench cluster uses: exit 10, live files untouched.
    static func liveRestore(overwrite: Bool, _ good: GoodBackup) -> FaultCase {
        FaultCase(
            name: "restore next to the live cluster into its tablespace\(overwrite ? " with --overwrite" : "")",
            expectedStatus: 10
        ) { context in
            _ = try copy(good, into: context.target, as: good.id)
            let before = try context.cluster.psql("SELECT count(*), sum(g) FROM kept")
            let destination = try TemporaryDirectory.make(prefix: "pgsnap-fault-dest-")
            defer { try? FileManager.default.removeItem(atPath: destination) }
            let run = try Pgsnap.run(
                ["restore", "latest", "--target", context.target, "--pgdata", destination + "/pgdata"]
                    + (overwrite ? ["--overwrite"] : []))
            let after = try context.cluster.psql("SELECT count(*), sum(g) FROM kept")
            if before != after { context.problems.append("the live table changed: \(before) → \(after)") }
            let tablespace = try #require(context.cluster.tablespaces["fast"])
            let entries = try FileManager.default.contentsOfDirectory(atPath: tablespace)
            if entries.count != 1 || !(entries.first ?? "").hasPrefix("PG_") {
                context.problems.append("the live tablespace directory now holds \(entries)")
            }
            if overwrite && run.output.contains("pass --overwrite") {
                context.problems.append("the hint suggests --overwrite again")
            }
            return (run.status, String(run.output.dropFirst(run.stdout.count)))
        }
    }

    static func stderrLines(_ run: Pgsnap.Run) -> Int {
        String(run.output.dropFirst(run.stdout.count)).split(separator: "\n").count
    }

    static func copy(_ good: GoodBackup, into target: String, as id: String) throws -> String {
        let destination = target + "/" + id
        try Command.output("/bin/cp", ["-a", good.target + "/" + good.id, destination])
        if id != good.id { try editRecord(destination) { $0["id"] = id } }
        return destination
    }

    static func readRecord(_ backup: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: backup + "/backup.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Edits backup.json as an attacker or a careless hand would: the content only, nothing
    /// else in the backup made to agree.
    static func editRecord(_ backup: String, _ edit: (inout [String: Any]) throws -> Void) throws {
        var record = try readRecord(backup)
        try edit(&record)
        let data = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])
        try BackupTampering.write([UInt8](data), to: backup + "/backup.json")
    }
}

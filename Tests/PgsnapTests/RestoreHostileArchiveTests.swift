import Foundation
import Testing

/// `pgsnap restore` of archives built to write outside the destination: each must stop with
/// exit 9 and leave nothing outside the data and tablespace directories — checked at the exact
/// paths each attack aims at — and nothing startable inside them.
@Suite("pgsnap restore refuses hostile archives", .serialized, .integration)
struct RestoreHostileArchiveTests {
    static let id = "20200101T000000Z"

    @Test(arguments: HostileBackup.Attack.allCases)
    func restoreStopsAndWritesNothingOutside(_ attack: HostileBackup.Attack) throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-hostile-target-")
        let places = try HostileBackup.Places.make()
        defer {
            try? FileManager.default.removeItem(atPath: target)
            places.remove()
        }
        try HostileBackup.make(attack, places: places, from: shared, into: target, as: Self.id)
        let aroundBefore = around(places)
        let outsideBefore = FileTree.listing(places.outside)
        let passwdBefore = try #require(FileTree.lstatus("/etc/passwd"))
        // A wrong extractor that links to /etc/passwd and then applies the data directory's
        // owner (chown -R postgres, say) takes the host's passwd away from root: put it back.
        defer {
            if let now = FileTree.lstatus("/etc/passwd"),
                now.st_uid != passwdBefore.st_uid || now.st_gid != passwdBefore.st_gid
                    || now.st_mode != passwdBefore.st_mode
            {
                chown("/etc/passwd", passwdBefore.st_uid, passwdBefore.st_gid)
                chmod("/etc/passwd", passwdBefore.st_mode & 0o7777)
            }
        }
        let decoyBefore = try #require(FileTree.lstatus(places.decoy))

        let run = try Pgsnap.run([
            "restore", Self.id, "--target", target, "--pgdata", places.pgdata, "--tablespace",
            "fast=" + places.tablespace,
        ])

        #expect(run.status == 9, "\(run.output)")
        #expect(!run.lines(naming: "pgsnap: ").isEmpty, "no one-line message: \(run.output)")
        // The exact places each attack aims at.
        #expect(!FileTree.exists(places.restoreRoot + "/escape.txt"))
        #expect(!FileTree.exists(places.outside + "/abs.txt"))
        #expect(!FileTree.exists(places.outside + "/pwned.txt"))
        #expect(!FileTree.exists(places.besideOutside + "/evil.txt"))
        #expect(try String(contentsOfFile: places.decoy, encoding: .utf8) == HostileBackup.Places.decoyContents)
        // And nothing else around the destination or in the outside directory.
        #expect(around(places) == aroundBefore, "changed next to the data directory")
        #expect(FileTree.listing(places.outside) == outsideBefore, "changed in \(places.outside)")
        let passwd = try #require(FileTree.lstatus("/etc/passwd"))
        #expect(
            passwd.st_nlink == passwdBefore.st_nlink && passwd.st_mode == passwdBefore.st_mode
                && passwd.st_uid == passwdBefore.st_uid && passwd.st_gid == passwdBefore.st_gid
                && passwd.st_size == passwdBefore.st_size,
            "/etc/passwd changed")
        let decoy = try #require(FileTree.lstatus(places.decoy))
        #expect(decoy.st_nlink == decoyBefore.st_nlink, "the decoy was linked into the restore")
        // Nothing startable is left, and (contract) nothing of what was written.
        #expect(!FileTree.exists(places.pgdata + "/backup_label"))
        #expect(!FileTree.exists(places.pgdata + "/global/pg_control"))
        #expect(FileTree.isAbsentOrEmpty(places.pgdata), "\(FileTree.paths(places.pgdata).prefix(20))")
        #expect(FileTree.isAbsentOrEmpty(places.tablespace), "\(FileTree.paths(places.tablespace).prefix(20))")
        // Verify applies the same member rules (MemberPath) to the same archive: it refuses
        // the very member restore refused (member_unsafe), not only the manifest mismatch.
        let verified = try Pgsnap.run(["verify", Self.id, "--target", target, "--json"])
        #expect(verified.status == 9, "verify passed what restore refused: \(verified.output)")
        #expect(verified.stdout.contains(#""kind" : "member_unsafe""#), "\(verified.stdout)")
    }

    /// The listing of the restore root without the data and tablespace directories themselves
    /// (and without the root's own line, whose mtime legitimately changes when they come and go).
    private func around(_ places: HostileBackup.Places) -> [String] {
        FileTree.listing(places.restoreRoot).filter { line in
            let path = String(line.prefix { $0 != "|" })
            return !path.isEmpty && !["pgdata", "ts"].contains { path == $0 || path.hasPrefix($0 + "/") }
        }
    }
}

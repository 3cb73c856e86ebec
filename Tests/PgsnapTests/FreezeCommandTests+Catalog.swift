import Foundation
import Testing

/// `list`, `info`, `verify` and `restore` on the `external` record a thaw commits.
extension FreezeCommandTests {
    @Test(arguments: PostgresInstallation.required)
    func externalRecordsAreListedVerifiedAndRefusedByAPlainRestore(major: Int) throws {
        try withBench(major) { bench in
            #expect(try bench.freeze().status == 0)
            let thaw = try bench.thaw(["--json", "--snapshot-name", "nas-7"])
            let id = try #require(try thaw.json()["id"] as? String)
            let list = try Pgsnap.run(["list"] + bench.common)
            let row = list.stdout.split(separator: "\n").first { $0.hasPrefix(id) } ?? ""
            #expect(row.contains(" external "), "\(list.stdout)")
            let info = try Pgsnap.run(["info", id] + bench.common)
            #expect(info.status == 0 && info.stdout.contains("nas-7"), "\(info.output)")

            let verify = try Pgsnap.run(["verify", id] + bench.common)
            #expect(verify.status == 0, "\(verify.output)")
            #expect(verify.output.contains("does not hold and cannot check"), "\(verify.output)")
            // A label that does not match the record is found.
            let label = bench.fixture.target + "/\(id)/backup_label"
            let text = try String(contentsOfFile: label, encoding: .utf8)
            try text.replacingOccurrences(of: "START WAL LOCATION: ", with: "START WAL LOCATION: 1")
                .write(toFile: label, atomically: false, encoding: .utf8)
            let damaged = try Pgsnap.run(["verify", id] + bench.common)
            #expect(damaged.status == 9, "\(damaged.output)")
            #expect(damaged.output.contains("START WAL LOCATION"), "\(damaged.output)")

            let restore = try Pgsnap.run(["restore", id, "--pgdata", bench.fixture.runDirectory + "/r"] + bench.common)
            #expect(restore.status == 64, "\(restore.output)")
            #expect(
                restore.output.split(separator: "\n").count == 1 && restore.output.contains("--in-place"),
                "\(restore.output)")
            #expect(!FileManager.default.fileExists(atPath: bench.fixture.runDirectory + "/r"))
        }
    }
}

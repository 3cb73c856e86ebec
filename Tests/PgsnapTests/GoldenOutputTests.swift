import Catalog
import ExitStatus
import Foundation
import PostgresClient
import Preflight
import Storage
import TargetLayout
import Testing

@testable import Backup

/// What scripts parse, byte for byte: backup.json, `pgsnap list --json` and `pgsnap check
/// --json` are compared with the files in Tests/PgsnapTests/Golden. A change to any of them
/// is a change to a published format and must be deliberate: the files are rewritten only
/// with PGSNAP_UPDATE_GOLDEN=1, and the diff is read in review (docs/testing.md).
@Suite("published JSON formats match their golden files", .unit)
struct GoldenOutputTests {
    /// 2026-11-24T03:15:00Z: fixed, so IDs and times are the same on every run.
    static let now = Date(timeIntervalSince1970: 1_795_490_100)

    @Test func backupJSONIsTheGoldenRecord() throws {
        let record = TargetFixture.record(id: BackupID.make(at: Self.now), label: "nightly", start: Self.now)
        try Golden.check(String(decoding: try record.encoded(), as: UTF8.self), against: "backup.json")
    }

    /// The real executable over a target with one run of each kind a script meets.
    @Test func listJSONIsTheGoldenList() throws {
        let fixture = try TargetFixture(now: Self.now)
        try fixture.bind()
        try fixture.complete(daysAgo: 1)
        try fixture.complete(daysAgo: 8, label: "weekly \"full\"")
        try fixture.failed(daysAgo: 0.5)
        try fixture.partial(daysAgo: 0.1)
        try fixture.incomplete(daysAgo: 2)
        try fixture.complete(daysAgo: 3, systemIdentifier: "7399999999999999999")
        let run = try Pgsnap.run([
            "list", "--json", "--target", fixture.target, "--run-directory", fixture.runDirectory,
        ])
        #expect(run.status == 0, "\(run.output)")
        try Golden.check(run.stdout, against: "list.json")
    }

    /// `list` as a person reads it: 100 columns at most by default (a long label cut with …,
    /// a control character in it shown as ?), every column in full with --wide.
    @Test func listTextFitsAHundredColumnsAndIsTheGoldenTable() throws {
        let fixture = try TargetFixture(now: Self.now)
        try fixture.bind()
        try fixture.complete(daysAgo: 1)
        try fixture.complete(daysAgo: 2, label: "before the upgrade to 17: " + String(repeating: "long ", count: 20))
        try fixture.complete(daysAgo: 3, label: "odd\u{1B}[31mlabel")
        try fixture.failed(daysAgo: 0.5)
        try fixture.partial(daysAgo: 0.1)
        let arguments = ["list", "--target", fixture.target, "--run-directory", fixture.runDirectory]
        let run = try Pgsnap.run(arguments)
        #expect(run.status == 0, "\(run.output)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 100 }, "\(run.stdout)")
        #expect(lines.contains { $0.hasSuffix("…") } && !run.stdout.contains("\u{1B}"), "\(run.stdout)")
        try Golden.check(run.stdout, against: "list.txt")
        let wide = try Pgsnap.run(arguments + ["--wide"])
        #expect(wide.status == 0, "\(wide.output)")
        #expect(wide.stdout.contains("STARTED (UTC)") && wide.stdout.contains("long long long long"), "\(wide.stdout)")
        #expect(wide.stdout.split(separator: "\n").contains { $0.count > 100 }, "--wide is not cut")
    }

    /// `check --json` reads the host, so it is rendered from a report built here with the
    /// same encoder the executable uses (`JSONOutput`); every section and a problem present.
    @Test func checkJSONIsTheGoldenReport() throws {
        var report = CheckReport(snapshotMode: .lvm)
        report.server = ServerFacts(
            version: "16.4", versionNumber: 160004, systemIdentifier: TargetFixture.systemIdentifier,
            dataDirectory: "/var/lib/postgresql/16/main", walLevel: "replica", archiveMode: "on", dataChecksums: true,
            role: "primary", canRunBackupFunctions: true, canCreateReplicationSlot: true, databaseBytes: 7_516_192_768,
            archiver: ArchiverStatus(
                archivedCount: 42, lastArchivedWAL: "00000001000000000000002A",
                lastArchivedTime: "2026-11-24 03:14:00+00"))
        let device = DeviceNumber(major: 253, minor: 3)
        let data = LogicalVolume(
            volumeGroup: "vg0", name: "pgdata", uuid: "uuid-pgdata", kind: .classic,
            sizeBytes: 20 << 30, volumeGroupFreeBytes: 4 << 30, device: device)
        report.directories = [
            LocatedDirectory(
                directory: ClusterDirectory(
                    role: .dataDirectory, name: "pg_default", oid: 1663,
                    path: "/var/lib/postgresql/16/main"),
                location: PathLocation(
                    path: "/var/lib/postgresql/16/main", resolvedPath: "/var/lib/postgresql/16/main",
                    device: device, logicalVolume: data))
        ]
        report.snapshots = [
            PlannedSnapshot(origin: data, sizeBytes: 2 << 30, directories: ["pg_default", "pg_global"])
        ]
        report.target = TargetFacts(
            path: "/backup/pgsnap", exists: true, writable: true, freeBytes: 1 << 40,
            device: DeviceNumber(major: 8, minor: 17), mountPoint: "/backup", filesystem: "xfs")
        report.problems = [
            Problem(
                code: "target_too_small", message: "the target has 1.0 TiB free; the last backup wrote 1.2 TiB",
                hint: "free space in /backup/pgsnap or prune", exitStatus: .target)
        ]
        try Golden.check(try #require(JSONOutput.render(report)) + "\n", against: "check.json")
    }
}

/// Compares text with `Tests/PgsnapTests/Golden/<name>`; PGSNAP_UPDATE_GOLDEN=1 rewrites it.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// PGSNAP_UPDATE_GOLDEN=1: rewrite what differs instead of failing.
    static let updating = ProcessInfo.processInfo.environment["PGSNAP_UPDATE_GOLDEN"] == "1"

    static func check(_ text: String, against name: String) throws {
        let file = directory.appendingPathComponent(name)
        if updating {
            try Data(text.utf8).write(to: file)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        guard text != expected else { return }
        let got = text.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
        Issue.record(
            """
            \(name) differs from Tests/PgsnapTests/Golden/\(name) at line \(line + 1): \
            got '\(line < got.count ? got[line] : "<end>")', golden '\(line < want.count ? want[line] : "<end>")' \
            (a deliberate format change: rerun with PGSNAP_UPDATE_GOLDEN=1 and review the diff)
            """)
    }
}

import ExitStatus
import Foundation
import Testing

@testable import Backup

/// How failures reach a script and a person (issue 8, item 9): exit codes exactly as
/// docs/exit-codes.md says, typed JSON error objects, one escaped and bounded line on stderr,
/// hints that fit the cause, and the small commands' results.
@Suite("errors and JSON as documented", .integration)
struct ErrorReportingTests {
    /// The lines pgsnap printed on stderr (the combined output minus stdout).
    private func stderrLines(_ run: Pgsnap.Run) -> [Substring] {
        run.output.replacingOccurrences(of: run.stdout, with: "").split(separator: "\n")
    }

    @Test func aMalformedFlagValueIsAUsageErrorAndAFileValueAConfigurationError() throws {
        // backup resolves its settings before it does anything.
        let flag = try Pgsnap.run(["backup", "--target", "/tmp", "--compress-level", "99"])
        #expect(flag.status == 64, "\(flag.output)")
        #expect(flag.output.contains("--compress-level"))
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-errors-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/pgsnap.conf"
        try "compress_level = 99\n".write(toFile: file, atomically: true, encoding: .utf8)
        let configured = try Pgsnap.run(["list", "--target", "/tmp", "--config", file])
        #expect(configured.status == 3, "\(configured.output)")
        #expect(configured.output.contains("pgsnap.conf:1"))
    }

    /// The `| code | name |` rows of a markdown table, in order.
    private static func exitCodeRows(_ markdown: String) -> [(code: Int32, name: String)] {
        markdown.split(separator: "\n").compactMap { line in
            guard let match = line.firstMatch(of: /^\| (\d+) \| ([^|]+?) \|/), let code = Int32(match.1) else {
                return nil
            }
            return (code, String(match.2))
        }
    }

    /// Scripts branch on the documented numbers: docs/exit-codes.md lists exactly the codes of
    /// `ExitStatus`, in order, each under its case's name, and the README's table the same codes.
    @Test func theExitCodeTablesMatchExitStatus() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let documented = Self.exitCodeRows(
            try String(contentsOf: root.appendingPathComponent("docs/exit-codes.md"), encoding: .utf8))
        #expect(documented.map(\.code) == ExitStatus.allCases.map(\.rawValue), "docs/exit-codes.md: \(documented)")
        for (status, row) in zip(ExitStatus.allCases, documented) {
            // "lock busy" for lockBusy, "PostgreSQL" for postgres.
            let name = row.name.lowercased().replacingOccurrences(of: " ", with: "")
            #expect(
                name.hasPrefix(String(describing: status).lowercased()),
                "code \(row.code) is '\(row.name)', not \(status)")
        }
        let readme = Self.exitCodeRows(
            try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8))
        #expect(readme.map(\.code) == ExitStatus.allCases.map(\.rawValue), "README.md: \(readme.map(\.code))")
    }

    @Test func aLabelWithALineBreakCannotForgeASecondLine() throws {
        let run = try Pgsnap.run(["backup", "--target", "/tmp", "--label", "nightly\npgsnap: backup 2026 complete"])
        #expect(run.status == 64, "\(run.output)")
        let lines = stderrLines(run)
        #expect(lines.count == 1, "exactly one line: \(run.output)")
        #expect(run.output.contains("nightly\\npgsnap: backup"), "the line break is shown escaped: \(run.output)")
    }

    @Test func aHugeValueIsCutInTheErrorLine() throws {
        // A single argument is limited to 128 KiB by the kernel: the 1 MiB value comes from a file.
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-errors-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/pgsnap.conf"
        try "label = '\(String(repeating: "x", count: 1 << 20))'\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let run = try Pgsnap.run(["list", "--target", "/tmp", "--config", file])
        #expect(run.status == 3, "\(run.output.prefix(300))")
        let lines = stderrLines(run)
        #expect(lines.count == 1)
        #expect(
            (lines.first?.count ?? 0) < 1000,
            "a 1 MiB label gives a short line, not \(lines.first?.count ?? 0) characters")
        #expect(run.output.contains("(1048576 bytes)"), "the cut says how long the value was")
    }

    @Test func jsonErrorsAreTypedLikeCheck() throws {
        let run = try Pgsnap.run(["list", "--target", "/nonexistent/pgsnap-errors", "--json"])
        #expect(run.status == 6, "\(run.output)")
        let object = try run.json()
        #expect(object["ok"] as? Bool == false, "ok is a JSON boolean: \(run.stdout)")
        #expect(object["exit_status"] as? Int == 6, "exit_status is a JSON number: \(run.stdout)")
        #expect((object["error"] as? String)?.contains("/nonexistent/pgsnap-errors") == true)
        #expect(object["hint"] is String)
        #expect(object["code"] as? String == "catalog.unreadable", "which failure, for scripts: \(run.stdout)")
    }

    @Test func configNamingADirectoryGetsAHintThatFits() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-errors-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try Pgsnap.run(["list", "--config", directory])
        #expect(run.status == 3, "\(run.output)")
        #expect(run.output.contains("is a directory"), "\(run.output)")
        #expect(run.output.contains("name the file itself"), "\(run.output)")
        #expect(!run.output.contains("permissions"), "not a permissions problem: \(run.output)")
    }

    @Test func anUnknownOwnerIsARefusedDestination() throws {
        let target = try TemporaryDirectory.make(prefix: "pgsnap-errors-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let pgdata = target + "/restored"
        let run = try Pgsnap.run([
            "restore", "latest", "--target", target, "--pgdata", pgdata, "--owner", "pgsnap-no-such-user",
        ])
        #expect(run.status == 10, "docs/exit-codes.md: unknown --owner is 10: \(run.output)")
        #expect(run.output.contains("no such user"))
        #expect(!FileManager.default.fileExists(atPath: pgdata))
    }

    @Test func cleanupJSONPrintsWhatItRemoved() throws {
        let fixture = try TargetFixture()
        let partial = try fixture.partial(daysAgo: 0.5)
        let run = try Pgsnap.run([
            "cleanup", "--json", "--snapshot", "none", "--target", fixture.target,
            "--run-directory", fixture.runDirectory,
        ])
        #expect(run.status == 0, "\(run.output)")
        let object = try run.json()
        #expect(object["ok"] as? Bool == true)
        #expect(
            object["partial_backups"] as? [String] == [fixture.target + "/" + partial + ".partial"], "\(run.stdout)")
        #expect(object["snapshots"] as? [String] == [])
        #expect(object["unmounted"] as? [String] == [])
        let again = try Pgsnap.run([
            "cleanup", "--json", "--snapshot", "none", "--target", fixture.target,
            "--run-directory", fixture.runDirectory,
        ])
        #expect(try again.json()["partial_backups"] as? [String] == [], "nothing left the second time")
    }

    /// `log_destination = file`: the log lines go to `log_file` (0600), not to stderr; `file`
    /// without `log_file` is refused in one line; a file that cannot be opened is said once and
    /// the log goes to stderr instead.
    @Test func logDestinationFileAppendsTheLogToLogFile() throws {
        let fixture = try TargetFixture()
        try fixture.partial(daysAgo: 0.5)
        let log = fixture.runDirectory + "/pgsnap.log"
        let common = [
            "cleanup", "--snapshot", "none", "--target", fixture.target, "--run-directory", fixture.runDirectory,
            "--log-level", "info",
        ]
        let run = try Pgsnap.run(common + ["--log-destination", "file", "--log-file", log])
        #expect(run.status == 0, "\(run.output)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("WARNING: removing leftover partial backup"), "\(text)")
        #expect(!run.stderr.contains("removing leftover"), "\(run.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let missing = try Pgsnap.run(common + ["--log-destination", "file"])
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1, "\(missing.output)")
        #expect(missing.stderr.contains("log_file"), "\(missing.stderr)")
        let unwritable = try Pgsnap.run(
            common + ["--log-destination", "file", "--log-file", "/nonexistent/pgsnap-logs/pgsnap.log"])
        #expect(unwritable.status == 0, "\(unwritable.output)")
        #expect(unwritable.stderr.contains("cannot append to log_file /nonexistent/pgsnap-logs/pgsnap.log"))
    }

    @Test func aRoleThatDoesNotExistGetsAHintThatSaysSo() throws {
        try withCluster(15) { cluster in
            let conninfo = cluster.conninfo.replacingOccurrences(of: "user=postgres", with: "user=pgsnap_nobody")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-errors-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let run = try Pgsnap.run([
                "backup", "--snapshot", "none", "--target", target, "--run-directory", target + "/run",
                "--conninfo", conninfo,
            ])
            #expect(run.status == 4, "\(run.output)")
            #expect(run.output.contains("no such role"), "\(run.output)")
            #expect(!run.output.contains("check that the server runs"), "the server does run: \(run.output)")
        }
    }

    /// A member name holding a line break cannot forge a "verified" line in verify's report,
    /// nor a second line on stderr.
    @Test func verifyEscapesNamesFromTheBackupDirectory() throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-errors-target-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let id = "20200101T000000Z"
        let copy = try shared.copy(into: target, as: id)
        let forged = "junk\npgsnap: backup \(id) verified: 1 files"
        try BackupTampering.rewrite(copy + "/base.tar.zst") { tar in
            try BackupTampering.insert(RawTar.file(forged, "x"), before: "backup_label", in: &tar)
        }
        let run = try Pgsnap.run(["verify", id, "--target", target])
        #expect(run.status == 9, "\(run.output)")
        #expect(
            !run.stdout.split(separator: "\n").contains { $0.hasPrefix("pgsnap: backup \(id) verified") },
            "a forged line: \(run.stdout)")
        #expect(stderrLines(run).count == 1, "\(run.output)")
    }

    /// A restore that fails creates nothing that stays: the data directory and tablespace
    /// location it made go, and so do the parent directories it made for them.
    @Test func aFailedRestoreRemovesTheParentDirectoriesItCreated() throws {
        let shared = try SharedBackup.get()
        let target = try TemporaryDirectory.make(prefix: "pgsnap-errors-target-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        let id = "20200101T000000Z"
        let copy = try shared.copy(into: target, as: id)
        try BackupTampering.truncateByHalf(copy + "/base.tar.zst")
        let root = try TemporaryDirectory.make(prefix: "pgsnap-errors-dest-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let run = try Pgsnap.run([
            "restore", id, "--target", target, "--pgdata", root + "/a/b/pgdata",
            "--tablespace", "fast=\(root)/c/d/fast",
        ])
        #expect(run.status == 9, "\(run.output)")
        let left = try FileManager.default.subpathsOfDirectory(atPath: root)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    /// SIGTERM while the `pre-backup` hook runs: nothing was written to the target, so the
    /// message must not claim that a failed-run record was kept.
    @Test func anInterruptBeforeTheTargetIsTouchedClaimsNoRecord() throws {
        try withCluster(15) { cluster in
            let hooks = try HookDirectoryFixture.make(events: [])
            let target = try TemporaryDirectory.make(prefix: "pgsnap-errors-target-")
            let runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-errors-run-")
            defer { for path in [hooks, target, runDirectory] { try? FileManager.default.removeItem(atPath: path) } }
            let started = target + "/../" + URL(fileURLWithPath: target).lastPathComponent + ".hook-started"
            defer { unlink(started) }
            try HookDirectoryFixture.write(
                "pre-backup", "#!/bin/sh\ntouch '\(started)'\nsleep 30\n", in: hooks, mode: 0o755)
            let running = try Pgsnap.start([
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", cluster.conninfo, "--hook-directory", hooks,
            ])
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: started) && Date() < deadline { usleep(50_000) }
            kill(running.pid, SIGTERM)
            let (status, output) = running.wait()
            #expect(status == 8, "\(output)")
            #expect(!output.contains("recorded"), "no record was written: \(output)")
            #expect(!output.contains("keeps only a record"), "\(output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
        }
    }
}

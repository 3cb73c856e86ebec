import Configuration
import Foundation
import Testing

/// Each subcommand takes the flags of the settings its code reads and no others (issue 12,
/// item 4): its `--help` lists only those, any other is the argument parser's usage error, and
/// the configuration file, shared by every command, may still hold every key.
@Suite("each command's own flags", .unit)
struct CommandLineTests {
    /// The flags of every subcommand.
    static let common: Set = [
        "--config", "--target", "--run-directory", "--log-level", "--log-destination", "--log-file", "--json",
    ]
    /// What `check` examines and `backup` plans from.
    static let preflight: Set = [
        "--conninfo", "--snapshot", "--snapshot-size", "--snapshot-size-min", "--snapshot-size-max",
        "--snapshot-size-sample", "--wal-archive", "--hook-directory",
    ]
    static let retention: Set = ["--keep-last", "--keep-days"]
    /// What only archive-push reads (PostgreSQL runs it, not backup).
    static let archivePush: Set = ["--archive-push-workers"]
    /// Where backup, verify and prune report their runs.
    static let metrics: Set = ["--metrics-file"]
    /// What only archive-get reads (PostgreSQL's restore_command).
    static let archiveGet: Set = ["--archive-get-prefetch"]

    /// The flags each subcommand's code reads, besides its own arguments (restore's recovery
    /// options, prune's --dry-run, verify's --all).
    static let expected: [String: Set<String>] = [
        "backup": Set(SettingKey.allCases.filter { $0 != .freezeTimeout }.map(\.flag)).subtracting(archivePush)
            .subtracting(archiveGet).union(common).union(["--dry-run"]),
        "check": common.union(preflight),
        "cleanup": common.union(["--snapshot"]),
        "list": common.union(["--wide"]),
        "info": common,
        "verify": common.union(metrics).union(["--all", "--wal"]),
        "restore": common.union([
            "--pgdata", "--tablespace", "--waldir", "--overwrite", "--in-place", "--owner", "--standby",
            "--restore-command", "--target-time", "--target-name", "--target-lsn",
            "--target-action", "--archive-mode", "--no-archive", "--primary-conninfo", "--primary-slot",
        ]),
        "prune": common.union(retention).union(metrics).union(["--dry-run"]),
        "archive-push": common.union(archivePush),
        "archive-get": common.union(archiveGet),
        // freeze_timeout is --timeout, the name storage hooks were promised (issue 10).
        "freeze": common.union(["--conninfo", "--timeout", "--label", "--checkpoint", "--status"]),
        "thaw": common.union(["--snapshot-name"]),
        "snapshot-exec": common.union(["--conninfo", "--timeout", "--label", "--checkpoint", "--snapshot-name"]),
    ]

    /// The long flags of the option lines of a help screen (indented by two spaces; the
    /// wrapped help text below them is indented further), without --help and --version.
    static func listedFlags(_ help: String) -> Set<String> {
        Set(help.split(separator: "\n").compactMap(optionFlag)).subtracting(["--help", "--version"])
    }

    /// The long flag an option line of a help screen starts with, if it is one.
    static func optionFlag(_ line: Substring) -> String? {
        line.firstMatch(of: /^  (?:-[a-zA-Z], )?(--[a-z][a-z-]*)/).map { String($0.1) }
    }

    @Test(arguments: expected.keys.sorted())
    func helpListsOnlyTheCommandsOwnFlags(_ command: String) throws {
        let run = try Pgsnap.run([command, "--help"])
        #expect(run.status == 0, "\(run.output)")
        let listed = Self.listedFlags(run.stdout)
        let expected = try #require(Self.expected[command])
        #expect(
            listed.subtracting(expected).isEmpty,
            "\(command) --help lists flags it does not read: \(listed.subtracting(expected).sorted())")
        #expect(
            expected.subtracting(listed).isEmpty, "\(command) --help misses \(expected.subtracting(listed).sorted())")
    }

    @Test func backupListsEveryConfigurationKeyAndListNoneOfTheCopyOnes() throws {
        let backup = Self.listedFlags(try Pgsnap.run(["backup", "--help"]).stdout)
        // freeze_timeout is freeze's alone (as --timeout), archive_push_workers archive-push's,
        // archive_get_prefetch archive-get's.
        for key in SettingKey.allCases
        where key != .freezeTimeout && !Self.archivePush.union(Self.archiveGet).contains(key.flag) {
            #expect(backup.contains(key.flag), "backup --help misses \(key.flag)")
        }
        let list = try Pgsnap.run(["list", "--help"]).stdout
        for flag in ["--compress-level", "--snapshot-size", "--checkpoint", "--conninfo", "--keep-last"] {
            #expect(!list.contains(flag), "list --help mentions \(flag)")
        }
    }

    /// A flag of another command is refused before anything is done, not accepted and ignored.
    @Test(arguments: [
        ["list", "--compress-level", "3"],
        ["info", "latest", "--snapshot-size", "10%"],
        ["verify", "latest", "--snapshot-size", "10%"],
        ["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--checkpoint", "fast"],
        ["prune", "--keep-last", "1", "--label", "nightly"],
        ["cleanup", "--conninfo", "host=/tmp"],
        ["check", "--compress-level", "3"],
    ])
    func aFlagTheCommandDoesNotReadIsAUsageError(_ arguments: [String]) throws {
        let fixture = try TargetFixture()
        let run = try Pgsnap.run(arguments + ["--target", fixture.target, "--run-directory", fixture.runDirectory])
        #expect(run.status == 64, "\(arguments): \(run.output)")
        let flag = arguments[arguments.count - 2]
        #expect(run.output.contains("Unknown option '\(flag)'"), "\(run.output)")
        #expect(try fixture.names().count == 0, "a refused command line touched the target")
    }

    /// What the command line alone decides is checked in `validate()`, before the configuration
    /// or the target is read (no target is given here, which would be exit 3), and reported like
    /// every other error: one `pgsnap:` line naming the flag, the JSON error, exit 64.
    @Test(arguments: [
        (["restore", "latest", "--pgdata", "relative/data"], "--pgdata"),
        (["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--waldir", "wal"], "--waldir"),
        (
            ["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--target-action", "later"],
            "--target-action"
        ),
        (["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--archive-mode", "on"], "--archive-mode"),
        (["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--tablespace", "fast"], "--tablespace"),
        (
            ["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--target-lsn", "0/1", "--no-archive"],
            "--restore-command"
        ),
        (
            ["restore", "latest", "--pgdata", "/nonexistent/pgsnap-restore", "--no-archive", "--restore-command", "x"],
            "--no-archive"
        ),
        (["verify", "latest", "--all"], "--all"),
    ])
    func aCommandLineValidateRefusesIsOnePgsnapLineAndExit64(_ arguments: [String], naming flag: String) throws {
        let run = try Pgsnap.run(arguments + ["--json"])
        #expect(run.status == 64, "\(arguments): \(run.output)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("pgsnap: ") == true, "one pgsnap: line: \(run.stderr)")
        #expect(run.stderr.contains(flag), "\(run.stderr)")
        let object = try run.json()
        #expect(object["exit_status"] as? Int == 64, "\(run.stdout)")
        #expect((object["error"] as? String)?.contains(flag) == true, "\(run.stdout)")
    }

    /// A valid value for every key, so that one file can serve every command.
    static func fileValue(_ key: SettingKey, _ fixture: TargetFixture) -> String {
        switch key {
        case .conninfo: return "'host=/nonexistent/pgsnap-socket user=postgres'"
        case .target: return fixture.target
        case .snapshot: return "none"
        case .snapshotSize: return "10%"
        case .snapshotSizeMin: return "128M"
        case .snapshotSizeMax: return "40%"
        case .snapshotSizeSample: return "5"
        case .json: return "off"
        case .logLevel: return "warning"
        case .logDestination: return "stderr"
        case .logFile: return fixture.runDirectory + "/pgsnap.log"
        case .runDirectory: return fixture.runDirectory
        case .checkpoint: return "spread"
        case .compressLevel: return "5"
        case .compressWorkers: return "1"
        case .maxRate: return "50M"
        case .manifestChecksums: return "sha256"
        case .walArchive: return "/nonexistent/pgsnap-wal-archive"
        case .walArchiveTimeout: return "30"
        case .watchInterval: return "1"
        case .snapshotAutoextendThreshold: return "80%"
        case .snapshotAutoextendPercent: return "50"
        case .thinPoolDangerThreshold: return "85"
        case .label: return "'shared file'"
        case .keepLast: return "3"
        case .keepDays: return "7"
        case .hookDirectory: return "/nonexistent/pgsnap-hooks"
        case .hookTimeout: return "60"
        case .freezeTimeout: return "120"
        case .archivePushWorkers: return "2"
        case .metricsFile: return fixture.runDirectory + "/pgsnap.prom"
        case .archiveGetPrefetch: return "8"
        }
    }

    /// One file shared by every command holds every key; each command takes what it reads and
    /// ignores the rest, as before the flags were split by command.
    @Test func aConfigurationFileWithEveryKeyServesEveryCommand() throws {
        let fixture = try TargetFixture()
        let id = try fixture.complete(daysAgo: 1)
        let file = fixture.runDirectory + "/pgsnap.conf"
        let text = SettingKey.allCases.map { "\($0.rawValue) = \(Self.fileValue($0, fixture))" }.joined(separator: "\n")
        try (text + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        // The fixture's archives are not zstd: verify and restore find the backup and refuse
        // it as damaged (9), after having accepted the configuration.
        let expected: [([String], Int32)] = [
            (["list"], 0), (["info", "latest"], 0), (["verify", "latest"], 9),
            (["restore", "latest", "--pgdata", fixture.runDirectory + "/restored"], 9),
            (["prune", "--dry-run"], 0), (["cleanup"], 0),
        ]
        for (arguments, status) in expected {
            let run = try Pgsnap.run(arguments + ["--config", file])
            #expect(run.status == status, "\(arguments): \(run.output)")
        }
        #expect(try fixture.names().contains(id), "the backup is still there")
    }
}

import Foundation
import Testing

@testable import Metrics
@testable import TargetLayout

/// The metrics file on hand-made targets: the format's escaping, the other commands' lines
/// kept across runs, values from backup.json, and a write that fails or meets a hostile file.
@Suite("metrics file", .unit)
struct MetricsFileTests {
    @Test func labelValuesEscapeBackslashQuoteAndLineFeedAndReadBack() throws {
        #expect(ExpositionFormat.escapeLabelValue(#"a\b"#) == #"a\\b"#)
        #expect(ExpositionFormat.escapeLabelValue(#"say "hi""#) == #"say \"hi\""#)
        #expect(ExpositionFormat.escapeLabelValue("one\ntwo") == #"one\ntwo"#)
        #expect(ExpositionFormat.escapeLabelValue("tab\tand é") == "tab\tand é", "only the three are escaped")
        let hostile = "/srv/x\"} 1\npgsnap_forged 1\n\\"
        let sample = Sample(name: "pgsnap_test", labels: [.init("target", hostile), .init("cluster", "")], value: 2.5)
        let line = ExpositionFormat.line(sample)
        #expect(!line.contains("\n"), "a target cannot start a line of its own: \(line)")
        #expect(ExpositionFormat.parse(Substring(line)) == sample)
    }

    @Test func valuesUseTheFormatsSpellings() {
        #expect(ExpositionFormat.formatValue(42) == "42")
        #expect(ExpositionFormat.formatValue(0.25) == "0.25")
        #expect(ExpositionFormat.formatValue(.infinity) == "+Inf")
        #expect(ExpositionFormat.formatValue(.nan) == "NaN")
        #expect(ExpositionFormat.parse("pgsnap_x{a=\"b\"} -Inf 1700000000000")?.value == -.infinity)
        for broken in ["# HELP pgsnap_x text", "", "pgsnap_x{a=\"b} 1", "pgsnap_x{a=b} 1", "pgsnap_x 1e", "9x 1"] {
            #expect(ExpositionFormat.parse(Substring(broken)) == nil, "\(broken)")
        }
    }

    @Test func eachCommandsLastRunSurvivesTheOthersAndAFailureKeepsTheLastSuccess() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let id = try fixture.complete(daysAgo: 1)
        let (file, directory) = try Self.metricsFile()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try file.record(Self.run(.backup, start, seconds: 65, status: 0), target: fixture.target)
        try file.record(Self.run(.verify, start + 100, seconds: 3, status: 9), target: fixture.target)
        try file.record(Self.run(.backup, start + 200, seconds: 2, status: 4), target: fixture.target)
        try file.record(Self.run(.prune, start + 300, seconds: 1, status: 0), target: fixture.target, now: start + 400)

        let samples = try Self.samples(file.path)
        func value(_ name: String, _ command: String? = nil) -> Double? {
            samples.first { $0.name == name && (command == nil || $0.label("command") == command) }?.value
        }
        #expect(value("pgsnap_last_attempt_timestamp_seconds", "backup") == 1_800_000_202)
        #expect(value("pgsnap_last_success_timestamp_seconds", "backup") == 1_800_000_065, "kept from the first run")
        #expect(value("pgsnap_last_exit_status", "backup") == 4)
        #expect(value("pgsnap_last_run_success", "backup") == 0)
        #expect(value("pgsnap_last_run_duration_seconds", "backup") == 2)
        #expect(value("pgsnap_last_exit_status", "verify") == 9)
        #expect(value("pgsnap_last_success_timestamp_seconds", "verify") == nil, "verify never succeeded")
        #expect(value("pgsnap_last_run_success", "prune") == 1)
        // From the fixture's backup.json (TargetFixture.record).
        let record = TargetFixture.record(id: id, label: "nightly", start: fixture.date(daysAgo: 1))
        #expect(value("pgsnap_complete_backups") == 1)
        #expect(value("pgsnap_newest_backup_read_bytes") == Double(record.bytesRead))
        #expect(value("pgsnap_newest_backup_written_bytes") == Double(record.bytesWritten))
        #expect(value("pgsnap_newest_backup_compression_ratio") == record.compressionRatio)
        #expect(value("pgsnap_newest_backup_backup_mode_seconds") == record.backupModeSeconds)
        #expect(value("pgsnap_newest_backup_duration_seconds") == 65)
        #expect(value("pgsnap_newest_backup_end_timestamp_seconds") == record.stopTime.timeIntervalSince1970)
        #expect(value("pgsnap_newest_backup_age_seconds") == (start + 400).timeIntervalSince(record.stopTime))
        #expect(value("pgsnap_newest_backup_snapshot_peak_fill_ratio") == nil, "no snapshot, no fill")
        #expect(value("pgsnap_wal_archive_newest_segment_timestamp_seconds") == nil, "no WAL archive")
        #expect(samples.allSatisfy { $0.label("target") == fixture.target })
        #expect(samples.allSatisfy { $0.label("cluster") == TargetFixture.systemIdentifier })
        #expect(samples.filter { $0.name == "pgsnap_last_exit_status" }.count == 3, "one line per command")
    }

    /// The fullest snapshot of the newest backup, as a ratio; the WAL archive's highest segment
    /// (timeline first), ignoring `.partial` files, temporaries and foreign names.
    @Test func peakFillAndNewestWALComeFromTheRecordAndTheArchive() throws {
        let fixture = try TargetFixture()
        let id = try fixture.complete(daysAgo: 1)
        var record = TargetFixture.record(id: id, label: "nightly", start: fixture.date(daysAgo: 1))
        record.systemIdentifier = TargetFixture.systemIdentifier
        record.volumes[0].peakFillPercent = 35.5
        record.volumes.append(record.volumes[0])
        record.volumes[1].peakFillPercent = 72
        try record.encoded().write(to: URL(fileURLWithPath: fixture.target + "/" + id + "/backup.json"))
        let archive = fixture.target + "/wal"
        let stored = [
            "0000000100000000/000000010000000000000009.zst", "0000000200000000/000000020000000000000004.zst",
            "0000000200000000/000000020000000000000005.partial.zst",
            "0000000200000000/.000000020000000000000006.zst.9.tmp",
            "0000000300000000/notes.zst",
        ]
        for path in stored {
            let url = URL(fileURLWithPath: archive + "/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
        let modified = Date(timeIntervalSince1970: 1_800_000_123)
        try FileManager.default.setAttributes(
            [.modificationDate: modified], ofItemAtPath: archive + "/0000000200000000/000000020000000000000004.zst")

        let figures = try #require(TargetFigures.read(target: fixture.target))
        #expect(figures.newestWAL?.segment == "000000020000000000000004")
        #expect(figures.newestWAL?.timeline == 2)
        #expect(figures.newestWAL?.storedAt == modified.timeIntervalSince1970)
        let report = MetricsReport(target: fixture.target, history: CommandHistory(), figures: figures, now: Date())
        let samples = report.text.split(separator: "\n").compactMap(ExpositionFormat.parse)
        #expect(samples.first { $0.name == "pgsnap_newest_backup_snapshot_peak_fill_ratio" }?.value == 0.72)
        #expect(samples.first { $0.name == "pgsnap_wal_archive_newest_segment_timeline" }?.value == 2)
    }

    @Test func theFileIsReplacedWholeWithMode0644AndNothingLeftBeside() throws {
        let fixture = try TargetFixture()
        let (file, directory) = try Self.metricsFile()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = umask(0o077)
        defer { umask(old) }
        try file.record(Self.run(.verify, Date(), seconds: 1, status: 0), target: fixture.target)
        try file.record(Self.run(.prune, Date(), seconds: 1, status: 0), target: fixture.target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["pgsnap.prom"])
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o644, "node_exporter runs as its own user: \(String(mode ?? 0, radix: 8))")
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text.hasSuffix("\n") && text.contains("# TYPE pgsnap_last_exit_status gauge\n"))
    }

    @Test func aHugeOrForeignPreviousFileIsAWarningAndStartsAfresh() throws {
        let fixture = try TargetFixture()
        let (file, directory) = try Self.metricsFile()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let line = "pgsnap_last_exit_status{target=\"\(fixture.target)\",command=\"verify\"} 9\n"
        try Data(String(repeating: line, count: MetricsFile.maximumPreviousBytes / line.utf8.count + 1).utf8)
            .write(to: URL(fileURLWithPath: file.path))
        let warnings = try file.record(Self.run(.prune, Date(), seconds: 1, status: 0), target: fixture.target)
        #expect(warnings.count == 1 && warnings[0].contains("larger than 1 MiB"), "\(warnings)")
        #expect(try Self.samples(file.path).allSatisfy { $0.label("command") != "verify" })

        // Lines of another target, or of no command pgsnap knows, are not kept.
        try Data(
            ("pgsnap_last_attempt_timestamp_seconds{target=\"/elsewhere\",command=\"verify\"} 5\n"
                + "pgsnap_last_exit_status{target=\"/elsewhere\",command=\"verify\"} 0\n"
                + "pgsnap_last_attempt_timestamp_seconds{target=\"\(fixture.target)\",command=\"restore\"} 5\n"
                + "pgsnap_last_exit_status{target=\"\(fixture.target)\",command=\"restore\"} 0\n").utf8
        ).write(to: URL(fileURLWithPath: file.path))
        try file.record(Self.run(.prune, Date(), seconds: 1, status: 0), target: fixture.target)
        #expect(Set(try Self.samples(file.path).compactMap { $0.label("command") }) == ["prune"])
    }

    @Test func aWriteThatFailsSaysWhatAndWhyAndLeavesNoTemporary() throws {
        let fixture = try TargetFixture()
        let (_, directory) = try Self.metricsFile()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = MetricsFile(path: directory + "/absent/pgsnap.prom")
        #expect {
            try missing.record(Self.run(.backup, Date(), seconds: 1, status: 0), target: fixture.target)
        } throws: { error in
            let text = (error as? MetricsError)?.description ?? ""
            return text.contains("cannot open its directory: No such file or directory")
                && text.contains("the command's result is unaffected")
        }
        // A directory where the file should be: the rename fails, the temporary goes.
        try FileManager.default.createDirectory(atPath: directory + "/pgsnap.prom/x", withIntermediateDirectories: true)
        let blocked = MetricsFile(path: directory + "/pgsnap.prom")
        #expect(throws: MetricsError.self) {
            try blocked.record(Self.run(.backup, Date(), seconds: 1, status: 0), target: fixture.target)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["pgsnap.prom"])
    }

    /// The command's own result stands: a prune that succeeds exits 0 and a verify of a damaged
    /// backup 9, each with one warning line naming the file, whatever happens to the metrics.
    @Test func aMetricsFileThatCannotBeWrittenIsOneWarningAndTheExitStatusStands() throws {
        let fixture = try TargetFixture()
        try fixture.complete(daysAgo: 1)
        let unwritable = fixture.runDirectory + "/absent/pgsnap.prom"
        let places = ["--target", fixture.target, "--run-directory", fixture.runDirectory]
        for (arguments, status) in [(["prune", "--keep-last", "1"], Int32(0)), (["verify", "latest"], 9)] {
            let run = try Pgsnap.run(arguments + places + ["--metrics-file", unwritable])
            #expect(run.status == status, "\(arguments): \(run.output)")
            let warnings = run.output.split(separator: "\n").filter { $0.contains("WARNING") }
            #expect(
                warnings.count == 1 && warnings[0].contains("cannot write the metrics file \(unwritable)"),
                "\(run.output)")
        }
        // A dry run changes nothing and reports nothing; the same prune for real does.
        let writable = fixture.runDirectory + "/pgsnap.prom"
        let prune = ["prune", "--keep-last", "1", "--metrics-file", writable] + places
        let dryRun = try Pgsnap.run(prune + ["--dry-run"])
        #expect(dryRun.status == 0 && !FileManager.default.fileExists(atPath: writable), "\(dryRun.output)")
        #expect(try Pgsnap.run(prune).status == 0 && FileManager.default.fileExists(atPath: writable))
    }

    static func metricsFile() throws -> (MetricsFile, String) {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-metrics-")
        return (MetricsFile(path: directory + "/pgsnap.prom"), directory)
    }

    static func run(_ command: MetricsCommand, _ start: Date, seconds: Double, status: Int32) -> CommandRun {
        CommandRun(command: command, startedAt: start, finishedAt: start + seconds, exitStatus: status)
    }

    static func samples(_ path: String) throws -> [Sample] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap(ExpositionFormat.parse)
    }
}

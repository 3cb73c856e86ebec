import Foundation
import Testing

@testable import Backup
@testable import PostgresFormat
@testable import Restore

/// Recovery targets checked before anything is written, and the base backup they get.
@Suite("Restore: recovery targets and the base backup they need", .unit)
struct RestoreTargetUnitTests {
    @Test(arguments: [
        ("2026-11-24 10:41:00+00", "2026-11-24 10:41:00.000000+00"),
        ("2026-11-24T10:41:00Z", "2026-11-24 10:41:00.000000+00"),
        ("2026-11-24 10:41:00 UTC", "2026-11-24 10:41:00.000000+00"),
        ("2026-11-24 10:41:00.25+01", "2026-11-24 09:41:00.250000+00"),
        ("2026-11-24 00:10:00.123456-05:30", "2026-11-24 05:40:00.123456+00"),
        ("2026-01-01 00:30:00+0100", "2025-12-31 23:30:00.000000+00"),
        ("2024-02-29 12:00:00 +02:00", "2024-02-29 10:00:00.000000+00"),
    ])
    func targetTimesInISOFormWithAZoneAreAccepted(_ text: String, _ canonical: String) throws {
        let time = try TargetTime(parsing: text)
        #expect(time.canonical == canonical)
        let settings = RecoverySettings(restoreCommand: "cp /a/%f %p", targetTime: text)
        try settings.validate(serverMajorVersion: 15)
        #expect(settings.configurationLines.contains("recovery_target_time = '\(canonical)'"))
    }

    @Test(arguments: [
        "yesterday-ish", "now", "today", "tomorrow", "yesterday", "", "2026-11-24", "2026-11-24 10:41:00",
        "2026-11-24 10:41+00", "2026-02-30 10:00:00+00", "2025-02-29 10:00:00+00", "2026-13-01 10:00:00+00",
        "2026-11-24 24:00:00+00", "2026-11-24 10:60:00+00", "2026-11-24 10:41:00.1234567+00",
        "2026-11-24 10:41:00+00 ", "2026-11-24 10:41:00 EST", "2026-11-24 10:41:00+16",
        "2026-11-24  10:41:00+00", "2026-11-24 10:41:00+00'; archive_command = 'x", "epoch",
    ])
    func anythingElseIsRefusedAsAUsageError(_ text: String) {
        #expect(throws: RestoreError.self, "\(text)") { try TargetTime(parsing: text) }
        do throws(RestoreError) {
            try RecoverySettings(restoreCommand: "cp /a/%f %p", targetTime: text).validate(serverMajorVersion: 0)
            Issue.record("\(text) accepted")
        } catch {
            #expect(error.exitStatus.rawValue == 64)
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func aRestoreCommandNeedsBothPlaceholders() throws {
        for good in ["cp /a/%f %p", "test -f '/a/%f' && cp '/a/%f' \"%p\"", "fetch %%x %f %p"] {
            try RecoverySettings(restoreCommand: good).validate(serverMajorVersion: 15)
        }
        for bad in ["cp /a/%f", "cp /a/x %p", "cp /a/%%f %%p", "true", "cp /a/%F %P"] {
            #expect(throws: RestoreError.self, "\(bad)") {
                try RecoverySettings(restoreCommand: bad).validate(serverMajorVersion: 15)
            }
        }
    }

    // MARK: - Base backup choice

    /// Three backups of cluster A, newest first, and a newer one of another cluster B.
    private let at = Date(timeIntervalSince1970: 1_800_000_000)
    private var candidates: [BaseBackupChoice.Candidate] {
        [
            .init(
                id: "20270115T090000Z", systemIdentifier: "B", timeline: 1, stopLSN: 0x9_0000_0000, stopTime: at + 9000),
            .init(
                id: "20270115T060000Z", systemIdentifier: "A", timeline: 2, stopLSN: 0x6_0000_0000, stopTime: at + 6000),
            .init(
                id: "20270115T040000Z", systemIdentifier: "A", timeline: 1, stopLSN: 0x4_0000_0000, stopTime: at + 4000),
            .init(
                id: "20270115T020000Z", systemIdentifier: "A", timeline: 1, stopLSN: 0x2_0000_0000, stopTime: at + 2000),
        ]
    }

    private func time(_ offset: TimeInterval) throws -> BaseBackupChoice.Target {
        var seconds = time_t((at + offset).timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let text = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return .time(try TargetTime(parsing: text), given: text)
    }

    @Test func latestWithATargetTimeIsTheNewestBackupOfTheClusterThatEndedBeforeIt() throws {
        let cluster = Array(candidates.dropFirst())
        let chosen = try BaseBackupChoice.choose(requested: "latest", target: try time(5000), candidates: cluster)
        #expect(chosen.id == "20270115T040000Z")
        #expect(chosen.reason?.contains("20270115T060000Z") == true, "\(chosen.reason ?? "")")
        // Ended exactly at the target (whole seconds): it may have ended up to a second later.
        #expect(
            try BaseBackupChoice.choose(requested: "latest", target: try time(4000), candidates: cluster).id
                == "20270115T020000Z")
        #expect(
            try BaseBackupChoice.choose(requested: "latest", target: try time(4001), candidates: cluster).id
                == "20270115T040000Z")
        // After the newest: the newest, said so.
        let newest = try BaseBackupChoice.choose(requested: "latest", target: try time(7000), candidates: cluster)
        #expect(newest.id == "20270115T060000Z")
        #expect(newest.reason != nil)
        #expect(throws: RestoreError.self) {
            try BaseBackupChoice.choose(requested: "latest", target: try time(1000), candidates: cluster)
        }
    }

    @Test func latestStaysWithTheNewestBackupsCluster() throws {
        // B is newest: A's backups are never chosen for it.
        #expect(throws: RestoreError.self) {
            try BaseBackupChoice.choose(requested: "latest", target: try time(5000), candidates: candidates)
        }
        #expect(
            try BaseBackupChoice.choose(requested: "latest", target: try time(9500), candidates: candidates).id
                == "20270115T090000Z")
    }

    @Test func latestWithATargetLSNPrefersTheNewestTimeline() throws {
        let cluster = Array(candidates.dropFirst())
        func lsn(_ value: UInt64) -> BaseBackupChoice.Target { .lsn(value, given: BaseBackupChoice.lsnText(value)) }
        #expect(
            try BaseBackupChoice.choose(requested: "latest", target: lsn(0x7_0000_0000), candidates: cluster).id
                == "20270115T060000Z")
        #expect(
            try BaseBackupChoice.choose(requested: "latest", target: lsn(0x6_0000_0000), candidates: cluster).id
                == "20270115T060000Z")
        let older = try BaseBackupChoice.choose(requested: "latest", target: lsn(0x5_0000_0000), candidates: cluster)
        #expect(older.id == "20270115T040000Z")
        #expect(older.reason?.contains("timeline") == true)
        #expect(throws: RestoreError.self) {
            try BaseBackupChoice.choose(requested: "latest", target: lsn(0x1_0000_0000), candidates: cluster)
        }
    }

    @Test func aBackupOnAnOlderTimelineIsUsedOnlyIfTheNewestTimelinesHistoryPassesThroughIt() throws {
        // Timeline 2 branched off timeline 1 at 3/0: the backup that stopped at 4/0 on
        // timeline 1 is on the abandoned branch, the one at 2/0 is on the history.
        let history = try #require(TimelineHistory.parse("1\t3/0\tno recovery target specified\n", timeline: 2))
        #expect(history.contains(timeline: 1, lsn: 0x2_0000_0000))
        #expect(!history.contains(timeline: 1, lsn: 0x4_0000_0000))
        #expect(history.contains(timeline: 2, lsn: 0x9_0000_0000))
        #expect(!history.contains(timeline: 3, lsn: 0))
        let cluster = Array(candidates.dropFirst())
        let chosen = try BaseBackupChoice.choose(
            requested: "latest", target: .lsn(0x5_0000_0000, given: "5/0"),
            candidates: cluster, history: { _ in history })
        #expect(chosen.id == "20270115T020000Z")
        #expect(chosen.reason?.contains("history passes through") == true, "\(chosen.reason ?? "")")
        for bad in ["1 x/0 reason", "2\t1/0\tnot a parent", "one\t1/0"] {
            #expect(TimelineHistory.parse(bad, timeline: 2) == nil, "\(bad)")
        }
        #expect(TimelineHistory.parse("# comment\n\n", timeline: 2)?.switchPoints.isEmpty == true)
    }

    @Test func anExplicitBackupThatEndedAfterTheTargetIsRefusedNamingOneThatFits() throws {
        let target = try time(5000)
        do throws(RestoreError) {
            _ = try BaseBackupChoice.choose(requested: "20270115T060000Z", target: target, candidates: candidates)
            Issue.record("accepted")
        } catch {
            #expect(error.exitStatus.rawValue == 64)
            #expect(error.message.contains("20270115T040000Z"), "\(error.message)")
        }
        do throws(RestoreError) {
            _ = try BaseBackupChoice.choose(
                requested: "20270115T020000Z", target: .lsn(0x1_0000_0000, given: "1/0"),
                candidates: candidates)
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("no complete backup"), "\(error.message)")
        }
        let fits = try BaseBackupChoice.choose(
            requested: "20270115T020000Z", target: try time(5000), candidates: candidates)
        #expect(fits == BaseBackupChoice(id: "20270115T020000Z", reason: nil))
        // An ID the catalog does not have is left for the catalog to refuse.
        #expect(
            try BaseBackupChoice.choose(requested: "20200101T000000Z", target: try time(5000), candidates: candidates)
                .id
                == "20200101T000000Z")
    }

    @Test func aRestorePointIsNeverGuessedSilently() throws {
        let cluster = Array(candidates.dropFirst())
        let chosen = try BaseBackupChoice.choose(
            requested: "latest", target: .name("before_upgrade"), candidates: cluster)
        #expect(chosen.id == "20270115T060000Z")
        #expect(chosen.reason?.contains("must lie after") == true, "\(chosen.reason ?? "")")
    }

    @Test func archivingIsOffByDefaultOnlyForACloneNextToTheRunningOriginal() {
        #expect(ArchiveMode.default(originalRunning: true, newLocation: true) == .off)
        #expect(ArchiveMode.default(originalRunning: false, newLocation: true) == .preserve)
        #expect(ArchiveMode.default(originalRunning: false, newLocation: false) == .preserve)
    }
}

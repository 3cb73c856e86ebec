import Catalog
import Configuration
import ExitStatus
import Foundation
import Testing

@testable import Backup
@testable import Preflight
@testable import TargetLayout

/// The catalog on hand-made targets: statuses, ordering, lookups and retention.
@Suite("Catalog", .unit)
struct CatalogTests {
    @Test func listsNewestFirstWithEveryStatusAndIgnoresForeignFiles() throws {
        let fixture = try TargetFixture()
        let oldComplete = try fixture.complete(daysAgo: 5)
        let incomplete = try fixture.incomplete(daysAgo: 4)
        let failed = try fixture.failed(daysAgo: 3)
        let partial = try fixture.partial(daysAgo: 2)
        let newComplete = try fixture.complete(daysAgo: 1)
        // Not pgsnap's: never listed.
        try fixture.makeDirectory(fixture.target + "/lost+found")
        try fixture.makeDirectory(fixture.target + "/2026.partial")
        try Data("notes".utf8).write(to: URL(fileURLWithPath: fixture.target + "/notes.txt"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: fixture.target + "/20200101T000000Z"))

        let entries = try fixture.catalog().entries
        #expect(entries.map(\.id) == [newComplete, partial, failed, incomplete, oldComplete])
        #expect(entries.map(\.status) == [.complete, .partial, .failed, .incomplete, .complete])
        #expect(entries.map(\.restorable) == [true, false, false, false, true])
        #expect(entries[0].record?.label == "nightly")
        #expect(entries[0].durationSeconds == 65)
        #expect(entries[0].walRange?.start == "000000010000000000000002")
        #expect(entries[2].record?.error == "WAL segment missing")
        #expect(entries[2].record?.exitStatus == 4)
        #expect(entries[1].startTime == fixture.date(daysAgo: 2), "a run without a record is dated by its ID")
    }

    @Test func aPartialIsRunningOnlyWhileTheRunLockIsHeld() throws {
        let fixture = try TargetFixture()
        try fixture.complete(daysAgo: 3)
        let older = try fixture.partial(daysAgo: 2)
        let newest = try fixture.partial(daysAgo: 1)
        #expect(try fixture.catalog().entries.map(\.status) == [.partial, .partial, .complete])
        let descriptor = fixture.holdLock()
        let held = try fixture.catalog().entries
        #expect(held.first { $0.id == newest }?.status == .running)
        #expect(held.first { $0.id == older }?.status == .partial, "only the newest partial can be the live run")
        close(descriptor)
        #expect(try fixture.catalog().entries.map(\.status) == [.partial, .partial, .complete])
    }

    @Test func aBackupDirectoryWithoutAValidCompleteRecordIsIncomplete() throws {
        let fixture = try TargetFixture()
        let missing = try fixture.incomplete(daysAgo: 1)
        let garbage = try fixture.incomplete(daysAgo: 2, json: "{not json")
        let wrongID = try fixture.incomplete(daysAgo: 3, json: #"{"id":"20000101T000000Z","status":"complete"}"#)
        let failedStatus = try fixture.incomplete(daysAgo: 4, json: #"{"id":"x","status":"failed"}"#)
        let catalog = try fixture.catalog()
        #expect(catalog.entries.map(\.id) == [missing, garbage, wrongID, failedStatus])
        #expect(catalog.entries.allSatisfy { $0.status == .incomplete })
        #expect(catalog.latestComplete == nil)
    }

    @Test func lookupsByIDAndLatest() throws {
        let fixture = try TargetFixture()
        let old = try fixture.complete(daysAgo: 3)
        let newest = try fixture.complete(daysAgo: 2)
        let failed = try fixture.failed(daysAgo: 1)
        let catalog = try fixture.catalog()
        #expect(try catalog.completeBackup("latest").id == newest)
        #expect(try catalog.completeBackup(old).id == old)
        #expect(try catalog.entry(failed).status == .failed)
        #expect(
            try catalog.files(of: catalog.completeBackup(old)).map(\.name)
                == ["backup_manifest", "base.tar.zst", "pg_wal.tar.zst"])
        #expect(try catalog.files(of: catalog.completeBackup(old)).first { $0.name == "base.tar.zst" }?.bytes == 4096)

        let unknown = #expect(throws: CatalogError.self) { try catalog.completeBackup("20990101T000000Z") }
        #expect(unknown?.exitStatus == .damaged)
        #expect(unknown?.message.contains("20990101T000000Z") == true)
        let notComplete = #expect(throws: CatalogError.self) { try catalog.completeBackup(failed) }
        #expect(notComplete?.exitStatus == .damaged)
        #expect(notComplete?.message.contains("WAL segment missing") == true, "the failed run's own error is shown")
    }

    @Test func latestWithoutACompleteBackupAndBrokenTargetsHaveTheirExitCodes() throws {
        let fixture = try TargetFixture()
        try fixture.failed(daysAgo: 1)
        let none = #expect(throws: CatalogError.self) { try fixture.catalog().completeBackup("latest") }
        #expect(none?.exitStatus == .damaged)
        let missing = #expect(throws: CatalogError.self) {
            try BackupCatalog(target: fixture.target + "/nope", lockPath: nil)
        }
        #expect(missing?.exitStatus == .target)
        #expect(missing?.message.contains("No such file or directory") == true)
        #expect(CatalogError.noTarget.exitStatus == .configuration)
        #expect(CatalogError.noRetentionRule.exitStatus == .configuration)
    }

    // MARK: - Retention

    private func plan(_ fixture: TargetFixture, keepLast: Int? = nil, keepDays: Int? = nil) throws -> PrunePlan {
        let policy = try #require(RetentionPolicy(keepLast: keepLast, keepDays: keepDays))
        return try Pruner.plan(try fixture.catalog(), policy: policy, now: fixture.now)
    }

    // MARK: - One cluster per target (docs/target.md)

    @Test func aBoundTargetListsAnotherClustersBackupsAsForeignAndNeverPicksOrPrunesThem() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let own = try fixture.complete(daysAgo: 3)
        let ownNewer = try fixture.complete(daysAgo: 2)
        let foreign = try fixture.complete(daysAgo: 1, systemIdentifier: "7400000000000000001")
        let catalog = try fixture.catalog()
        #expect(catalog.owner.systemIdentifier == TargetFixture.systemIdentifier)
        #expect(catalog.entries.map(\.status) == [.foreign, .complete, .complete])
        #expect(catalog.entries.map(\.restorable) == [false, true, true])
        #expect(try catalog.entry("latest").id == ownNewer, "latest is the bound cluster's newest")
        #expect(
            throws: CatalogError.foreignBackup(
                id: foreign, systemIdentifier: "7400000000000000001",
                owner: TargetFixture.systemIdentifier)
        ) {
            try catalog.completeBackup(foreign)
        }
        #expect(CatalogError.foreignBackup(id: foreign, systemIdentifier: "1", owner: "2").exitStatus == .damaged)

        let plan = try Pruner.plan(
            catalog, policy: try #require(RetentionPolicy(keepLast: 1, keepDays: nil)),
            now: fixture.now)
        #expect(plan.removed.map(\.id) == [own], "keep_last counts only the bound cluster's backups")
        #expect(Set(plan.kept.map(\.id)) == [foreign, ownNewer], "another cluster's backup is never removed")
    }

    @Test func anUnboundTargetIsOwnedByItsBackupsClusterOrRefusedWhenTheyDisagree() throws {
        let fixture = try TargetFixture()
        #expect(try fixture.catalog().owner == .unbound)
        try fixture.complete(daysAgo: 2)
        #expect(try fixture.catalog().owner == .inferred(systemIdentifier: TargetFixture.systemIdentifier))
        #expect(try fixture.catalog().entries.map(\.status) == [.complete])

        try fixture.complete(daysAgo: 1, systemIdentifier: "7400000000000000001")
        let mixed = try fixture.catalog()
        let identifiers = ["7311234567890123456", "7400000000000000001"]
        #expect(mixed.owner == .mixed(systemIdentifiers: identifiers))
        #expect(throws: CatalogError.mixedClusters(target: fixture.target, systemIdentifiers: identifiers)) {
            try mixed.entry("latest")
        }
        #expect(throws: CatalogError.mixedClusters(target: fixture.target, systemIdentifiers: identifiers)) {
            try Pruner.plan(mixed, policy: try #require(RetentionPolicy(keepLast: 1, keepDays: nil)), now: fixture.now)
        }
        #expect(CatalogError.mixedClusters(target: "t", systemIdentifiers: []).exitStatus == .target)
    }

    @Test func theBindingIsWrittenOnceMode0600AndNeverReplaced() throws {
        let fixture = try TargetFixture()
        let first = try fixture.bind(to: "7311234567890123456")
        let path = fixture.target + "/" + TargetBinding.fileName
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let second = try TargetBinding(
            systemIdentifier: "7400000000000000001", boundAt: fixture.now, pgsnapVersion: "x"
        )
        .write(target: fixture.target)
        #expect(second == first, "a second binding returns the one in force")
        #expect(try TargetBinding.read(target: fixture.target) == first)
        #expect(try fixture.names() == [TargetBinding.fileName], "no temporary file is left")

        chmod(path, 0o622)
        #expect(throws: CatalogError.self, "a binding others may write is no binding") { try fixture.catalog() }
        chmod(path, 0o600)
        for bad in [
            "{\"system_identifier\": \"12; rm -rf /\", \"bound_at\": \"2026-01-01T00:00:00Z\", \"pgsnap_version\": \"1\"}",
            "not json", String(repeating: " ", count: 5000),
        ] {
            try Data(bad.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: CatalogError.self) { try fixture.catalog() }
            #expect(TargetOwnership.problems(target: fixture.target, cluster: "1").map(\.code) == ["target_unreadable"])
        }
    }

    @Test func theFirstFreeIDSkipsEveryNameARunCanLeave() throws {
        let fixture = try TargetFixture()
        let start = fixture.now
        let id = BackupID.make(at: start)
        #expect(BackupID.firstFree(at: start.addingTimeInterval(0.7), in: fixture.target) == id)
        try fixture.makeDirectory(fixture.target + "/" + id)
        try fixture.makeDirectory(fixture.target + "/" + BackupID.make(at: start.addingTimeInterval(1)) + ".failed")
        try fixture.makeDirectory(fixture.target + "/" + BackupID.make(at: start.addingTimeInterval(2)) + ".partial")
        try fixture.makeDirectory(fixture.target + "/" + BackupID.make(at: start.addingTimeInterval(3)) + ".removing")
        let free = BackupID.firstFree(at: start, in: fixture.target)
        #expect(free == BackupID.make(at: start.addingTimeInterval(4)))
        #expect(BackupID.isValid(free) && free > id)
    }

    @Test func noRuleIsNoPolicy() {
        #expect(RetentionPolicy(keepLast: nil, keepDays: nil) == nil)
    }

    @Test func keepLastKeepsTheNewestNComplete() throws {
        let fixture = try TargetFixture()
        let ids = try [1.0, 2, 3, 4].map { try fixture.complete(daysAgo: $0) }
        let plan = try plan(fixture, keepLast: 2)
        #expect(plan.kept.map(\.id) == Array(ids[0...1]))
        #expect(plan.removed.map(\.id) == Array(ids[2...3]))
    }

    @Test func keepDaysKeepsThoseYoungerThanDDays() throws {
        let fixture = try TargetFixture()
        let ids = try [1.0, 5, 6.99, 7.01, 10].map { try fixture.complete(daysAgo: $0) }
        let plan = try plan(fixture, keepDays: 7)
        #expect(plan.kept.map(\.id) == Array(ids[0...2]))
        #expect(plan.removed.map(\.id) == Array(ids[3...4]))
    }

    @Test func bothRulesKeepWhatEitherKeeps() throws {
        let fixture = try TargetFixture()
        let ids = try [1.0, 3, 10, 20].map { try fixture.complete(daysAgo: $0) }
        let byDays = try plan(fixture, keepLast: 1, keepDays: 7)
        #expect(byDays.kept.map(\.id) == Array(ids[0...1]))
        #expect(byDays.removed.map(\.id) == Array(ids[2...3]))
        let byCount = try plan(fixture, keepLast: 3, keepDays: 2)
        #expect(byCount.kept.map(\.id) == Array(ids[0...2]))
        #expect(byCount.removed.map(\.id) == [ids[3]])
    }

    @Test func theNewestCompleteBackupIsKeptEvenWhenTooOld() throws {
        let fixture = try TargetFixture()
        let newest = try fixture.complete(daysAgo: 30)
        let older = try fixture.complete(daysAgo: 40)
        let newerFailure = try fixture.failed(daysAgo: 1)
        let plan = try plan(fixture, keepDays: 7)
        #expect(plan.kept.map(\.id) == [newerFailure, newest])
        #expect(plan.removed.map(\.id) == [older])
    }

    @Test func aRunningRunIsNeverRemoved() throws {
        let fixture = try TargetFixture()
        try fixture.complete(daysAgo: 1)
        let running = try fixture.partial(daysAgo: 2)
        let descriptor = fixture.holdLock()
        defer { close(descriptor) }
        let plan = try plan(fixture, keepLast: 1)
        #expect(plan.kept.contains { $0.id == running && $0.status == .running })
        #expect(plan.removed.isEmpty)
    }

    @Test func leftoversOlderThanTheNewestCompleteGoNewerOnesStay() throws {
        let fixture = try TargetFixture()
        let newFailed = try fixture.failed(daysAgo: 0.5)
        let newPartial = try fixture.partial(daysAgo: 0.7)
        let newest = try fixture.complete(daysAgo: 1)
        let oldFailed = try fixture.failed(daysAgo: 2)
        let oldPartial = try fixture.partial(daysAgo: 3)
        let oldIncomplete = try fixture.incomplete(daysAgo: 4)
        let plan = try plan(fixture, keepLast: 5)
        #expect(plan.kept.map(\.id) == [newFailed, newPartial, newest])
        #expect(plan.removed.map(\.id) == [oldFailed, oldPartial, oldIncomplete])
        #expect(plan.removed.map(\.status) == [.failed, .partial, .incomplete])
    }

    @Test func withoutACompleteBackupNothingIsRemoved() throws {
        let fixture = try TargetFixture()
        try fixture.failed(daysAgo: 20)
        try fixture.partial(daysAgo: 30)
        let plan = try plan(fixture, keepLast: 1, keepDays: 1)
        #expect(plan.removed.isEmpty)
        #expect(plan.kept.count == 2)
    }

    @Test func aDryRunRemovesNothingAndListsExactlyWhatTheRealRunRemoves() throws {
        let fixture = try TargetFixture()
        try fixture.complete(daysAgo: 1)
        try fixture.complete(daysAgo: 2)
        try fixture.complete(daysAgo: 9)
        try fixture.failed(daysAgo: 3)
        try fixture.partial(daysAgo: 4)
        try fixture.incomplete(daysAgo: 11)
        let before = try fixture.names()
        let dryRun = try plan(fixture, keepLast: 1, keepDays: 3)
        #expect(try fixture.names() == before, "planning touches nothing")
        let real = try plan(fixture, keepLast: 1, keepDays: 3)
        #expect(real == dryRun)
        try Pruner.apply(real, target: fixture.target) { _ in }
        let gone = Set(before).subtracting(try fixture.names())
        #expect(gone == Set(dryRun.removed.map(\.name)))
        #expect(try fixture.names() == dryRun.kept.map(\.name).sorted())
        #expect(!(try fixture.names().contains { $0.hasSuffix(".removing") }))
    }

    @Test func anInterruptedRemovalIsNeverListedAndTheNextPruneFinishesIt() throws {
        let fixture = try TargetFixture()
        let kept = try fixture.complete(daysAgo: 1)
        let halfGone = try fixture.complete(daysAgo: 2)
        // What a prune killed between its rename and the end of the delete leaves.
        #expect(rename(fixture.target + "/" + halfGone, fixture.target + "/" + halfGone + ".removing") == 0)
        try FileManager.default.removeItem(atPath: fixture.target + "/" + halfGone + ".removing/backup.json")
        let catalog = try fixture.catalog()
        #expect(catalog.entries.map(\.id) == [kept])
        #expect(catalog.interruptedRemovals == [fixture.target + "/" + halfGone + ".removing"])
        let plan = try plan(fixture, keepLast: 1)
        try Pruner.apply(plan, target: fixture.target) { _ in }
        #expect(try fixture.names() == [kept])
    }

    @Test func pruneReportHasTheContractShape() throws {
        let fixture = try TargetFixture()
        let newest = try fixture.complete(daysAgo: 1)
        let old = try fixture.failed(daysAgo: 2)
        let report = PruneReport(plan: try plan(fixture, keepLast: 1), dryRun: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(report), as: UTF8.self)
        #expect(
            json
                == #"{"dry_run":true,"kept":[{"id":"\#(newest)","status":"complete"}],"removed":[{"id":"\#(old)","status":"failed"}]}"#
        )
    }

    @Test func aFailedRunRecordRoundTripsThroughTheCatalog() throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let record = FailedRunRecord(
            id: "20261118T110640Z", label: "nightly", startTime: start,
            stopTime: start.addingTimeInterval(2), error: "boom: Input/output error",
            exitStatus: 6, pgsnapVersion: "0.1.0")
        let object = try #require(try JSONSerialization.jsonObject(with: try record.encoded()) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "id", "label", "status", "start_time", "stop_time", "error", "exit_status",
                "pgsnap_version", "checksum",
            ])
        #expect(object["status"] as? String == "failed")
        #expect(RecordChecksum.status(of: try record.encoded()) == .valid, "sealed like a complete backup's record")
        #expect(object["start_time"] as? String == "2026-11-18T11:06:40Z")
        let decoded = try CatalogRecord.decode(try record.encoded())
        #expect(decoded.error == "boom: Input/output error")
        #expect(decoded.exitStatus == 6)
        #expect(decoded.stopTime == start.addingTimeInterval(2))
    }

    @Test func keepSettingsArePositiveIntegers() throws {
        let settings = try Settings.resolve(file: nil, overrides: [.keepLast: "7", .keepDays: "30"])
        #expect(settings.keepLast == 7)
        #expect(settings.keepDays == 30)
        #expect(SettingKey.keepLast.flag == "--keep-last")
        #expect(SettingKey.keepDays.flag == "--keep-days")
        for bad in ["0", "-1", "three", "1.5", ""] {
            #expect(throws: ConfigurationError.self) { try Settings.resolve(file: nil, overrides: [.keepLast: bad]) }
            #expect(throws: ConfigurationError.self) { try Settings.resolve(file: nil, overrides: [.keepDays: bad]) }
        }
    }
}

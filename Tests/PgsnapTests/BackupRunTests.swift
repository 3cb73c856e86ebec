import Catalog
import ExitStatus
import Foundation
import PostgresClient
import Storage
import Testing

@testable import Backup
@testable import TargetLayout

/// The real `BackupRun`, driven through `BackupEnvironment` with scripted sessions, LVM,
/// device-mapper, mounts and hooks (`BackupRunBench`): the order of stages and hooks, what
/// teardown undoes after a failure at each stage, and the snapshot watcher's abort. No
/// PostgreSQL and no root needed.
@Suite("BackupRun", .serialized, .unit)
struct BackupRunTests {
    /// The whole LVM run, as the journal records it. Written out rather than derived from
    /// `BackupStage.allCases`, so swapping two stages (or moving what one does) fails here.
    static func successJournal(snapshot: String) -> [String] {
        [
            "stage:lock", "pre-backup", "stage:leftovers", "stage:plan", "close 1",
            "stage:start", "pg_create_physical_replication_slot", "pg_backup_start",
            "stage:snapshot", "pre-snapshot", "lvcreate vg0/\(snapshot)", "post-snapshot",
            "stage:stop", "pg_backup_stop",
            "stage:mount", "mount /dev/vg0/\(snapshot)",
            "stage:stream", "stage:wal", "pg_drop_replication_slot", "stage:manifest", "stage:commit",
            "stage:retention",
            "umount", "lvremove vg0/\(snapshot)", "close 2", "post-backup",
        ]
    }

    static func snapshotName(_ record: BackupRecord) -> String { "data_pgsnap_" + record.id }

    @Test func anLVMRunRunsEveryStageAndHookInOrderAndUndoesItsSnapshot() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        let (outcome, run) = bench.run()
        let record = try outcome.get()
        #expect(bench.recorder.journal == Self.successJournal(snapshot: Self.snapshotName(record)))
        #expect(record.startLSN == BackupRunBench.startLSN && record.stopLSN == BackupRunBench.stopLSN)
        #expect(record.volumes.map(\.archive) == ["base.tar.zst", "pg_wal.tar.zst"])
        #expect(record.volumes.first?.origin == "vg0/data")
        #expect(bench.targetEntries().contains(record.id))
        #expect(bench.lvm.snapshots.isEmpty && bench.mounter.mounted.isEmpty)
        #expect(bench.sessions.allSatisfy { $0.closed })
        #expect(run.teardown.names.isEmpty)
        #expect(bench.recorder.environment(.postSnapshot)?["PGSNAP_SNAPSHOTS"] == "vg0/" + Self.snapshotName(record))
        let post = try #require(bench.recorder.environment(.postBackup))
        #expect(post["PGSNAP_STATUS"] == "success" && post["PGSNAP_EXIT_STATUS"] == "0" && post["PGSNAP_ERROR"] == nil)
        #expect(post["PGSNAP_BACKUP_ID"] == record.id && post["PGSNAP_START_LSN"] == BackupRunBench.startLSN)
        #expect(post["PATH"] == "/usr/sbin:/usr/bin:/sbin:/bin")
        #expect(bench.recorder.environment(.preBackup)?["PGSNAP_STATUS"] == nil, "a pre-* hook has no outcome yet")
        // backup_label is the last member of base.tar, as without snapshots.
        let members = try Self.members(bench.target + "/" + record.id + "/base.tar.zst")
        #expect(members.last == "backup_label")
        #expect(members.contains("base/1/1259") && members.contains("PG_VERSION"))
    }

    /// Backup mode holds one LVM command per snapshot, and backup.json says when each snapshot
    /// was created and when the window began and ended (the bench's clock is fixed).
    @Test func backupModeHoldsOneLVMCommandPerSnapshotAndTheRecordKeepsTheWindow() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        let record = try bench.run().outcome.get()
        let window = try #require(record.backupModeWindow)
        #expect(window.lvmCommands == 1)
        #expect(window.startedAt == Date(timeIntervalSince1970: 1_800_000_000) && window.stoppedAt == window.startedAt)
        let base = try #require(record.volumes.first)
        #expect(base.snapshotCreatedAt == window.startedAt && base.snapshotCreateSeconds == 0)
        #expect(record.volumes.last?.snapshotCreatedAt == nil, "pg_wal is not on its own snapshot here")
        // The bench's snapshot reports 8 of 1000 sectors used at every reading.
        let fill = try #require(base.fillHistory)
        #expect(!fill.isEmpty && fill.allSatisfy { $0.percent == 0.8 && $0.bytes == 4096 })
        let decoded = try RecordCoding.decoder().decode(BackupRecord.self, from: try record.encoded())
        #expect(decoded.backupModeWindow == window && decoded.volumes == record.volumes)
        // A record written before pgsnap kept the window still decodes.
        var old = try #require(try JSONSerialization.jsonObject(with: try record.encoded()) as? [String: Any])
        old["backup_mode_window"] = nil
        old["volumes"] = (old["volumes"] as? [[String: Any]])?.map { volume in
            volume.filter { !$0.key.hasPrefix("snapshot_create") && $0.key != "fill_history" }
        }
        let older = try RecordCoding.decoder().decode(
            BackupRecord.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(
            older.backupModeWindow == nil
                && older.volumes.allSatisfy { $0.snapshotCreatedAt == nil && $0.fillHistory == nil })
    }

    @Test func withoutSnapshotsBackupModeEndsAfterEveryDataFileAndTheLabelFollowsThem() throws {
        let bench = try BackupRunBench(snapshot: .none)
        let (outcome, _) = bench.run()
        let record = try outcome.get()
        #expect(
            bench.recorder.journal == [
                "stage:lock", "pre-backup", "stage:leftovers", "stage:plan", "close 1",
                "stage:start", "pg_create_physical_replication_slot", "pg_backup_start",
                "stage:snapshot", "stage:stop", "stage:mount",
                "stage:stream", "pg_backup_stop",
                "stage:wal", "pg_drop_replication_slot", "stage:manifest", "stage:commit", "stage:retention",
                "close 2", "post-backup",
            ])
        let members = try Self.members(bench.target + "/" + record.id + "/base.tar.zst")
        #expect(members.last == "backup_label")
        #expect(members.firstIndex(of: "base/1/1259").map { $0 < members.count - 1 } == true)
        #expect(bench.lvm.volumes.count == 1, "snapshot = none never touches LVM")
        #expect(bench.statementThreads == [UInt(pthread_self())], "every statement from the thread that ran the stages")
    }

    @Test func withoutSnapshotsAFailedEndOfBackupModeRefusesTheBaseArchive() throws {
        let bench = try BackupRunBench(snapshot: .none)
        bench.failingStatements["pg_backup_stop($1"] = PostgresError(
            code: .queryFailed, libpqMessage: "ERROR:  planted")
        let (outcome, run) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("a failed pg_backup_stop must fail the run")
            return
        }
        #expect((error as? PostgresError)?.libpqMessage.contains("planted") == true, "\(error)")
        let journal = bench.recorder.journal
        let from = try #require(journal.firstIndex(of: "stage:stream"))
        // The stop is tried once in the stage, once more by teardown, then the slot goes.
        #expect(
            Array(journal[(from + 1)...]) == [
                "pg_backup_stop", "pg_backup_stop", "pg_drop_replication_slot", "close 2",
                "post-backup",
            ])
        #expect(bench.statementThreads == [UInt(pthread_self())])
        let failed = try #require(run.failedRunDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: failed) == ["backup.json"])
    }

    /// A failure planted at each stage, what the journal shows teardown undid after it, and
    /// whether the target keeps a failed run's record.
    struct Failure: CustomTestStringConvertible, Sendable {
        let stage: BackupStage
        let exitStatus: PgsnapExitStatus
        /// The journal from the failing stage on (its `stage:` entry excluded); `S` stands for the
        /// snapshot's name.
        let after: [String]
        let keepsRecord: Bool
        var testDescription: String { stage.rawValue }
    }

    static let failures: [Failure] = [
        Failure(stage: .lock, exitStatus: .lockBusy, after: [], keepsRecord: false),
        Failure(stage: .leftovers, exitStatus: .storage, after: ["post-backup"], keepsRecord: false),
        Failure(stage: .plan, exitStatus: .postgres, after: ["close 1", "post-backup"], keepsRecord: false),
        Failure(
            stage: .start, exitStatus: .postgres,
            after: [
                "pg_create_physical_replication_slot", "pg_backup_start", "pg_drop_replication_slot", "close 2",
                "post-backup",
            ], keepsRecord: false),
        Failure(
            stage: .snapshot, exitStatus: .storage,
            after: [
                "pre-snapshot", "lvcreate vg0/S", "post-snapshot", "pg_backup_stop", "pg_drop_replication_slot",
                "close 2", "post-backup",
            ], keepsRecord: false),
        Failure(
            stage: .stop, exitStatus: .postgres,
            after: [
                "pg_backup_stop", "lvremove vg0/S", "pg_backup_stop", "pg_drop_replication_slot", "close 2",
                "post-backup",
            ], keepsRecord: false),
        Failure(
            stage: .mount, exitStatus: .storage,
            after: ["mount /dev/vg0/S", "lvremove vg0/S", "pg_drop_replication_slot", "close 2", "post-backup"],
            keepsRecord: false),
        Failure(
            stage: .stream, exitStatus: .postgres,
            after: ["umount", "lvremove vg0/S", "pg_drop_replication_slot", "close 2", "post-backup"], keepsRecord: true
        ),
        Failure(
            stage: .wal, exitStatus: .postgres,
            after: ["umount", "lvremove vg0/S", "pg_drop_replication_slot", "close 2", "post-backup"], keepsRecord: true
        ),
        Failure(
            stage: .manifest, exitStatus: .target,
            after: ["umount", "lvremove vg0/S", "close 2", "post-backup"], keepsRecord: true),
        Failure(
            stage: .commit, exitStatus: .target,
            after: ["umount", "lvremove vg0/S", "close 2", "post-backup"], keepsRecord: true),
    ]

    /// Plants the fault that makes `stage` fail, through the boundary that stage reaches.
    static func plant(_ stage: BackupStage, in bench: BackupRunBench) throws -> RunLock? {
        let failed = PostgresError(code: .queryFailed, libpqMessage: "ERROR:  planted in this test")
        switch stage {
        case .lock: return try RunLock(path: bench.settings.lockPath)
        case .leftovers: bench.lvm.failing = ["lvs"]
        case .plan: bench.failingStatements["current_setting('server_version')"] = failed
        case .start: bench.failingStatements["pg_backup_start($1"] = failed
        case .snapshot: bench.lvm.failing = ["lvcreate"]
        case .stop: bench.failingStatements["pg_backup_stop($1"] = failed
        case .mount: bench.mounter.failing = true
        case .stream: bench.failingStatements["catalog_version_no"] = failed
        case .wal: try FileManager.default.removeItem(atPath: bench.walSegmentPath)
        case .manifest:
            // The last thing the WAL stage does; then the manifest's name is taken.
            bench.onStatement["pg_drop_replication_slot"] = { [unowned bench] in
                try? FileManager.default.createDirectory(
                    atPath: bench.partialDirectory! + "/backup_manifest",
                    withIntermediateDirectories: false)
            }
        case .commit:
            // An archive removed before the commit proves what it renames into place.
            bench.onStatement["pg_drop_replication_slot"] = { [unowned bench] in
                try? FileManager.default.removeItem(atPath: bench.partialDirectory! + "/base.tar.zst")
            }
        case .retention: break
        }
        return nil
    }

    @Test(arguments: failures)
    func aFailureAtEachStageIsUndoneByTeardownExactly(_ failure: Failure) throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        let held = try Self.plant(failure.stage, in: bench)
        let (outcome, run) = bench.run()
        withExtendedLifetime(held) {}
        guard case .failure(let error) = outcome else {
            Issue.record("the run did not fail at \(failure.stage)")
            return
        }
        #expect((error as? any PgsnapError)?.exitStatus == failure.exitStatus, "\(error)")
        let journal = bench.recorder.journal
        let from = try #require(journal.firstIndex(of: "stage:" + failure.stage.rawValue), "\(journal)")
        #expect(
            !journal.contains(
                "stage:" + (BackupStage.allCases.drop { $0 != failure.stage }.dropFirst().first?.rawValue ?? "")))
        let snapshot = journal.first { $0.hasPrefix("lvcreate vg0/") }.map {
            String($0.dropFirst("lvcreate vg0/".count))
        }
        let expected = failure.after.map { $0.replacingOccurrences(of: "vg0/S", with: "vg0/" + (snapshot ?? "S")) }
        #expect(Array(journal[(from + 1)...]) == expected)
        // Every post-* event whose pre-* turn came runs, after teardown, with the outcome.
        #expect(journal.contains("pre-snapshot") == journal.contains("post-snapshot"))
        if failure.stage != .lock {
            let post = try #require(bench.recorder.environment(.postBackup))
            #expect(post["PGSNAP_STATUS"] == "failure")
            #expect(post["PGSNAP_EXIT_STATUS"] == String(failure.exitStatus.rawValue))
        }
        // Nothing left behind: no snapshot, no mount, every session closed, no undo step left.
        #expect(bench.lvm.snapshots.isEmpty)
        #expect(bench.mounter.mounted.isEmpty)
        #expect(bench.sessions.allSatisfy { $0.closed })
        #expect(run.teardown.names.isEmpty)
        #expect(bench.partialDirectory == nil)
        let mountRoot = bench.runDirectory + "/mnt"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: mountRoot)) ?? []).isEmpty)
        let failed = bench.targetEntries().filter { $0.hasSuffix(".failed") }
        #expect(failed.count == (failure.keepsRecord ? 1 : 0), "\(bench.targetEntries())")
        #expect(!bench.targetEntries().contains { !$0.hasSuffix(".failed") && $0 != TargetBinding.fileName })
        if failure.keepsRecord {
            #expect(run.failedRunDirectory == bench.target + "/" + failed[0])
            let names = try FileManager.default.contentsOfDirectory(atPath: bench.target + "/" + failed[0])
            #expect(names == ["backup.json"])
        }
    }

    /// A signal, delivered through the run's stop token (not the process-wide handler), at
    /// points across the run: it ends as interrupted (exit 8) with nothing left behind.
    @Test(arguments: ["stage:plan", "stage:start", "lvcreate vg0/", "mount /dev/vg0/", "stage:wal"])
    func aStopAtEachPointEndsInterruptedWithNothingLeft(_ point: String) throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.stopOnceJournalHas = point
        let (outcome, run) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("a stop after \(point) must end the run")
            return
        }
        #expect((error as? any PgsnapError)?.exitStatus == .interrupted, "\(error)")
        #expect(bench.recorder.environment(.postBackup)?["PGSNAP_EXIT_STATUS"] == "8")
        #expect(!bench.recorder.journal.contains("stage:commit"), "\(bench.recorder.journal)")
        #expect(bench.lvm.snapshots.isEmpty && bench.mounter.mounted.isEmpty)
        #expect(bench.sessions.allSatisfy { $0.closed })
        #expect(run.teardown.names.isEmpty)
        #expect(bench.partialDirectory == nil)
        #expect(!bench.targetEntries().contains { $0.hasSuffix(".partial") || !$0.contains(".") })
    }

    /// A snapshot past snapshot_autoextend_threshold whose VG has room is extended during the
    /// copy through LVM, and backup.json records each extension.
    @Test func aFillingSnapshotIsExtendedDuringTheCopyAndTheRecordSaysSo() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.snapshotStatus.usedSectors = 800
        let record = try bench.run().outcome.get()
        let journal = bench.recorder.journal
        let extended = journal.filter { $0.hasPrefix("lvextend vg0/data_pgsnap_") }
        #expect(!extended.isEmpty, "\(journal)")
        let extensions = try #require(record.volumes.first?.extensions)
        #expect(extensions.count == extended.count)
        let first = try #require(extensions.first)
        #expect(first.fillPercent == 80 && first.toBytes > first.fromBytes)
        #expect(first.fromBytes == record.volumes.first?.snapshotBytes)
    }

    @Test func withAutoextendOffAFillingSnapshotIsNotExtended() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.snapshotStatus.usedSectors = 800
        bench.settings.snapshotAutoextendThreshold = 100
        let record = try bench.run().outcome.get()
        #expect(!bench.recorder.journal.contains { $0.hasPrefix("lvextend") })
        #expect(record.volumes.first?.extensions == nil)
    }

    @Test func anOverflowingSnapshotAbortsTheCopyAndTeardownRuns() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.snapshotStatus.overflow = true
        let (outcome, run) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("an overflowed snapshot must fail the run")
            return
        }
        let backupError = try #require(error as? BackupError, "\(error)")
        #expect(backupError.code == .snapshotOverflow)
        #expect(backupError.message.contains("overflowed"))
        let journal = bench.recorder.journal
        #expect(!journal.contains("stage:wal"))
        let stream = try #require(journal.firstIndex(of: "stage:stream"))
        #expect(
            journal[(stream + 1)...].prefix(3).map { $0.hasPrefix("lvremove") ? "lvremove" : $0 }
                == ["umount", "lvremove", "pg_drop_replication_slot"])
        #expect(journal.suffix(2) == ["close 2", "post-backup"])
        #expect(bench.lvm.snapshots.isEmpty && bench.mounter.mounted.isEmpty)
        #expect(run.failedRunDirectory != nil)
        #expect(
            bench.recorder.environment(.postBackup)?["PGSNAP_EXIT_STATUS"] == String(PgsnapExitStatus.storage.rawValue))
    }

    /// The watcher runs from the snapshots' creation: a snapshot that overflows before the
    /// copy makes the mount (or the listing) fail with EIO, and the overflow is the error the
    /// run reports (exit 5, the size to give it), not the mount's (CI saw exit 1 for this).
    @Test func aSnapshotOverflowingBeforeTheCopyIsTheRunsErrorNotTheFailedMount() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.snapshotStatus.overflow = true
        bench.mounter.failing = true
        let (outcome, _) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("a failed mount must fail the run")
            return
        }
        let backupError = try #require(error as? BackupError, "\(error)")
        #expect(backupError.code == .snapshotOverflow)
        #expect(!bench.recorder.journal.contains("stage:stream"))
        #expect(bench.lvm.snapshots.isEmpty && bench.mounter.mounted.isEmpty)
        #expect(
            bench.recorder.environment(.postBackup)?["PGSNAP_EXIT_STATUS"] == String(PgsnapExitStatus.storage.rawValue))
    }

    @Test func aFailingPreBackupHookStopsTheRunBeforeAnythingIsCreated() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.recorder.endings[.preBackup] = .exited(3)
        let (outcome, run) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("a failing pre-backup hook must fail the run")
            return
        }
        #expect((error as? HookError)?.event == .preBackup)
        #expect((error as? any PgsnapError)?.exitStatus == .hook)
        #expect(bench.recorder.journal == ["stage:lock", "pre-backup", "post-backup"])
        #expect(bench.recorder.environment(.postBackup)?["PGSNAP_EXIT_STATUS"] == "11")
        #expect(bench.sessions.isEmpty && bench.targetEntries().isEmpty && run.failedRunDirectory == nil)
    }

    @Test(arguments: [HookResult.Ending.exited(1), .timedOut, .cannotStart("Exec format error"), .signalled(9)])
    func aFailingPreSnapshotHookTakesNoSnapshotButThawsAndEndsBackupMode(ending: HookResult.Ending) throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.recorder.endings[.preSnapshot] = ending
        let (outcome, _) = bench.run()
        guard case .failure(let error) = outcome else {
            Issue.record("a failing pre-snapshot hook must fail the run")
            return
        }
        #expect((error as? HookError)?.event == .preSnapshot)
        let journal = bench.recorder.journal
        let from = try #require(journal.firstIndex(of: "stage:snapshot"))
        #expect(
            Array(journal[(from + 1)...]) == [
                "pre-snapshot", "post-snapshot", "pg_backup_stop", "pg_drop_replication_slot",
                "close 2", "post-backup",
            ])
        #expect(bench.recorder.environment(.postSnapshot)?["PGSNAP_STATUS"] == "failure")
        #expect(bench.recorder.environment(.postSnapshot)?["PGSNAP_SNAPSHOTS"] == nil)
        #expect(bench.lvm.volumes.count == 1, "no snapshot was taken")
    }

    @Test func aFailingPostSnapshotHookIsOnlyAWarning() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.recorder.endings[.postSnapshot] = .exited(1)
        let (outcome, _) = bench.run()
        let record = try outcome.get()
        #expect(bench.recorder.journal == Self.successJournal(snapshot: Self.snapshotName(record)))
    }

    @Test func withoutAHookDirectoryNoHookRuns() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        bench.settings.hookDirectory = nil
        let (outcome, _) = bench.run()
        _ = try outcome.get()
        #expect(!bench.recorder.journal.contains { HookEvent(rawValue: $0) != nil })
    }

    @Test func onlyPresentHooksRunButAThawFollowsTheFreezesTurn() throws {
        let bench = try BackupRunBench(snapshot: .lvm)
        let directory = try HookDirectoryFixture.make(events: [.postSnapshot])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        bench.settings.hookDirectory = directory
        bench.lvm.failing = ["lvcreate"]
        let (outcome, _) = bench.run()
        #expect(throws: (any Error).self) { try outcome.get() }
        #expect(
            bench.recorder.journal.filter { HookEvent(rawValue: $0) != nil } == ["post-snapshot"],
            "a thaw without a freeze hook still runs: the freeze may live elsewhere")
    }

    @Test func teardownRunsEveryStepLastFirstEvenAfterAFailingOne() {
        var teardown = Teardown()
        var ran: [String] = []
        let lines = LockedLines()
        teardown.push("first") { ran.append("first") }
        teardown.push("failing") {
            ran.append("failing")
            throw BackupError(code: .target, detail: "cannot undo this")
        }
        teardown.push("handed over") { ran.append("handed over") }
        teardown.push("last") { ran.append("last") }
        teardown.forget("handed over")
        #expect(teardown.names == ["first", "failing", "last"])
        teardown.run(log: lines.append)
        #expect(ran == ["last", "failing", "first"])
        #expect(lines.all == ["teardown: cannot undo this"])
        #expect(teardown.names.isEmpty)
    }

    final class LockedLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    /// The member names of a `.tar.zst`, by zstd and tar.
    static func members(_ archive: String) throws -> [String] {
        try Command.output("/bin/sh", ["-c", "zstd -dcq \"$1\" | tar -tf -", "sh", archive])
            .split(separator: "\n").map { String($0).trimmingSuffix("/") }
    }
}

import Configuration
import ExitStatus
import Foundation
import PostgresClient
import Preflight
import Storage

@testable import Backup
@testable import PostgresFormat
@testable import TargetLayout

/// pgsnap's exit status, for files that import Testing (which has an `ExitStatus` of its own).
typealias PgsnapExitStatus = ExitStatus

/// The real `BackupRun` over scripted boundaries, without PostgreSQL or root: a fake cluster's
/// files in /dev/shm (another filesystem than the target in /tmp, as LVM mode demands, and one
/// the fake device-mapper claims as the LV vg0/data), scripted sessions, LVM, device-mapper,
/// mounts and hooks, and one journal all of them and the stages write to, in order.
final class BackupRunBench {
    static let startLSN = "0/1000028"
    static let stopLSN = "0/1000100"
    static let segmentSize: UInt64 = 1 << 20

    let root: String
    let dataDirectory: String
    let target: String
    let runDirectory: String
    let hookDirectory: String
    let recorder = RecordingHookRunner()
    var settings = Settings()
    let lvm: ScriptedLVM
    let mounter: FakeMounter
    /// What every snapshot reports to the watcher; healthy unless a test says otherwise.
    var snapshotStatus = SnapshotStatus(
        usedSectors: 8, totalSectors: 1000, metadataSectors: 0, invalid: false,
        overflow: false, mergeFailed: false)
    /// A statement containing the key fails with the error, on every session (`pg_backup_start($1`:
    /// the call, not the plan's privilege check naming the function).
    var failingStatements: [String: PostgresError] = [:]
    /// Runs when a statement containing the key is sent (a fault a test plants mid-run).
    var onStatement: [String: () -> Void] = [:]
    /// Once a journal entry starts with this, the run's stop token reports SIGTERM, as if the
    /// signal had arrived right then.
    var stopOnceJournalHas: String?
    private(set) var sessions: [ScriptedSession] = []
    /// The threads statements were sent from (libpq must only ever see one).
    private(set) var statementThreads: Set<UInt> = []
    private let device: DeviceNumber

    init(snapshot: SnapshotMode) throws {
        root = try Self.makeRoot()
        dataDirectory = root + "/data"
        target = try TemporaryDirectory.make(prefix: "pgsnap-unit-target-")
        runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-unit-run-")
        hookDirectory = try HookDirectoryFixture.make()
        device = try VolumeResolver.identify(root).device
        let recorder = self.recorder
        lvm = ScriptedLVM([], journal: recorder.note)
        mounter = FakeMounter(originMountPoint: "/dev/shm", showing: [dataDirectory], journal: recorder.note)
        try writeCluster()
        settings.target = target
        settings.runDirectory = runDirectory
        settings.hookDirectory = hookDirectory
        settings.snapshot = snapshot
        settings.compressWorkers = 0
        settings.watchInterval = 0.01
        lvm.addVolume(
            LogicalVolume(
                volumeGroup: "vg0", name: "data", uuid: "uuid-data", kind: .classic,
                sizeBytes: 1 << 30, volumeGroupFreeBytes: 1 << 30, device: device))
    }

    deinit {
        for path in [root, target, runDirectory, hookDirectory] { try? FileManager.default.removeItem(atPath: path) }
    }

    /// In /dev/shm, so the fake origin is on another filesystem than the target.
    private static func makeRoot() throws -> String {
        var template = Array("/dev/shm/pgsnap-unit-cluster-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let made else {
            throw Command.Failure(command: "mkdtemp", status: errno, output: String(cString: strerror(errno)))
        }
        return made
    }

    /// A data directory as the walker and the WAL stage need it, with the one WAL segment of
    /// the scripted backup window.
    private func writeCluster() throws {
        let files = [
            "PG_VERSION": "16\n", "global/pg_control": String(repeating: "c", count: 8192),
            "base/1/1259": String(repeating: "r", count: 20000), "postgresql.conf": "# fake\n",
        ]
        for (path, contents) in files {
            let full = dataDirectory + "/" + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: false, encoding: .utf8)
        }
        try FileManager.default.createDirectory(
            atPath: dataDirectory + "/pg_wal/archive_status",
            withIntermediateDirectories: true)
        let segment = Data(count: Int(Self.segmentSize))
        try segment.write(to: URL(fileURLWithPath: walSegmentPath))
    }

    var walSegmentPath: String {
        let names = WALFileName.names(
            from: LSN(parsing: Self.startLSN)!, through: LSN(parsing: Self.stopLSN)!, timeline: 1,
            segmentSize: Self.segmentSize)
        return dataDirectory + "/pg_wal/" + names[0]
    }

    /// The one `<id>.partial` directory in the target, while the run writes it.
    var partialDirectory: String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        return names.first { $0.hasSuffix(".partial") }.map { target + "/" + $0 }
    }

    func targetEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Runs the real `BackupRun`; stages go to the journal as `stage:<name>`.
    func run() -> (outcome: Result<BackupRecord, any Error>, run: BackupRun) {
        let run = BackupRun(settings: settings, environment: environment(), pgsnapVersion: "0.0.0-unit") { _ in }
        run.onStage = { [recorder] stage in recorder.note("stage:" + stage.rawValue) }
        run.onWarning = { _ in }
        return (Result { try run.run() }, run)
    }

    private func stopToken() -> StopToken {
        guard let prefix = stopOnceJournalHas else { return StopToken { nil } }
        let recorder = self.recorder
        return StopToken { recorder.journal.contains { $0.hasPrefix(prefix) } ? SIGTERM : nil }
    }

    private func environment() -> BackupEnvironment {
        let device = self.device
        let deviceMapper = FakeDeviceMapper(
            [DeviceMapperDevice(name: "vg0-data", uuid: "LVM-data", device: device)],
            snapshotStatus: snapshotStatus)
        let lvm = self.lvm
        let preflight = PreflightEnvironment(
            connect: { [self] _ throws(PostgresError) in connect() },
            kernel: KernelDevices(blockMajors: ["device-mapper": device.major]),
            mounts: { () throws(StorageError) in try MountTable.current() },
            deviceMapper: { () throws(StorageError) in deviceMapper },
            lvm: { () throws(StorageError) in lvm })
        return BackupEnvironment(
            preflight: preflight, connect: { [self] _ throws(PostgresError) in connect() },
            lvm: { () throws(StorageError) in lvm }, deviceMapper: { () throws(StorageError) in deviceMapper },
            mounter: mounter, clock: { Date(timeIntervalSince1970: 1_800_000_000) }, hookRunner: recorder,
            stop: stopToken())
    }

    /// Session 1 is the plan's, session 2 the backup's. The journal gets the statements that
    /// create or end something on the server, and each close.
    private func connect() -> ScriptedSession {
        let session = ScriptedSession(version: 160_000, answers: answers())
        sessions.append(session)
        let number = sessions.count
        let recorder = self.recorder
        session.onStatement = { [self] sql in
            statementThreads.insert(UInt(pthread_self()))
            // As called, not as named in the plan's privilege check.
            for name in [
                "pg_create_physical_replication_slot", "pg_backup_start", "pg_backup_stop",
                "pg_drop_replication_slot",
            ] where sql.contains(name + "($1") {
                recorder.note(name)
            }
            for (key, action) in onStatement where sql.contains(key) { action() }
        }
        session.onClose = { recorder.note("close \(number)") }
        return session
    }

    private func answers() -> [(contains: String, result: Result<QueryResult, PostgresError>)] {
        let failures = failingStatements.map {
            (contains: $0.key, result: Result<QueryResult, PostgresError>.failure($0.value))
        }
        func one(_ value: String) -> Result<QueryResult, PostgresError> {
            .success(QueryResult(columns: ["x"], rows: [[value]]))
        }
        let label = "START WAL LOCATION: \(Self.startLSN) (file 000000010000000000000001)\nSTART TIMELINE: 1\n"
        return failures + [
            (
                "current_setting('server_version')",
                .success(
                    QueryResult(
                        columns: [
                            "version", "wal_level", "archive_mode", "data_checksums", "data_directory", "role",
                            "can_slot",
                            "can_backup",
                        ],
                        rows: [["16.3", "replica", "off", "on", dataDirectory, "postgres", "t", "t"]]))
            ),
            ("catalog_version_no", one("202307071")),
            ("pg_control_system", one("7000000000000000001")),
            (
                "pg_tablespace",
                .success(
                    QueryResult(
                        columns: ["oid", "spcname", "location"],
                        rows: [["1663", "pg_default", ""], ["1664", "pg_global", ""]]))
            ),
            ("wal_segment_size", one(String(Self.segmentSize))),
            ("pg_backup_start", one(Self.startLSN)),
            (
                "pg_backup_stop",
                .success(
                    QueryResult(
                        columns: ["lsn", "labelfile", "spcmapfile"],
                        rows: [[Self.stopLSN, label, ""]]))
            ),
            ("", .success(QueryResult(columns: [], rows: []))),
        ]
    }
}

import Configuration
import Foundation
import PostgresClient
import Storage
import Testing

@testable import Preflight

/// `check`'s decisions on scripted servers and storage layouts.
@Suite("Preflight orchestration with scripted boundaries", .unit)
struct PreflightTests {
    static func facts(version: Int, backup: Bool = true, slot: Bool = true, walLevel: String = "replica")
        -> QueryResult
    {
        QueryResult(
            columns: [
                "version", "wal_level", "archive_mode", "data_checksums", "data_directory", "role", "can_slot",
                "can_backup",
            ],
            rows: [
                [
                    "\(version / 10000).3", walLevel, "off", "on", "/pg/data", "backup", slot ? "t" : "f",
                    backup ? "t" : "f",
                ]
            ])
    }

    static let tablespaces = QueryResult(
        columns: ["oid", "spcname", "location"],
        rows: [["1663", "pg_default", ""], ["1664", "pg_global", ""], ["16384", "fast", "/pg/ts1"]])

    static func session(version: Int, facts: QueryResult? = nil) -> ScriptedSession {
        ScriptedSession(
            version: version,
            answers: [
                ("current_setting('server_version')", .success(facts ?? Self.facts(version: version))),
                ("pg_control_system", .success(QueryResult(columns: ["s"], rows: [["7000000000000000001"]]))),
                ("pg_tablespace", .success(tablespaces)),
            ])
    }

    @Test func version14UsesTheOldBackupFunctionSignatures() throws {
        let session = Self.session(version: 140_011)
        _ = try ServerInspector(session: session).facts()
        let sql = try #require(session.statements.first)
        #expect(sql.contains("pg_start_backup(text, boolean, boolean)"))
        #expect(sql.contains("pg_stop_backup(boolean, boolean)"))
        #expect(!sql.contains("pg_backup_start"))
    }

    @Test func version15AndLaterUseTheNewOnes() throws {
        let session = Self.session(version: 180_001)
        let facts = try ServerInspector(session: session).facts()
        #expect(session.statements[0].contains("pg_backup_start(text, boolean)"))
        #expect(facts.systemIdentifier == "7000000000000000001")
    }

    @Test func directoriesCoverBuiltInTablespacesUserTablespacesAndWAL() throws {
        let directories = try ServerInspector(session: Self.session(version: 150_000)).directories(
            dataDirectory: "/pg/data")
        #expect(directories.map(\.name) == ["pg_default", "pg_global", "fast", "pg_wal"])
        #expect(directories.map(\.path) == ["/pg/data", "/pg/data", "/pg/ts1", "/pg/data/pg_wal"])
        #expect(directories[2].oid == 16384)
    }

    @Test func privilegeAndSettingProblemsAreAllReported() {
        let facts = ServerFacts(
            version: "9.6.1", versionNumber: 90601, systemIdentifier: nil, dataDirectory: nil,
            walLevel: "minimal", archiveMode: "off", dataChecksums: false, role: "app",
            canRunBackupFunctions: false, canCreateReplicationSlot: false)
        let codes = ServerRequirements.problems(facts).map(\.code)
        #expect(
            codes == [
                "server_version", "wal_level", "data_directory_hidden", "backup_privilege", "replication_privilege",
            ])
    }

    @Test func aFailingArchiverIsAProblemOnlyWhileItFails() {
        var facts = ServerFacts(
            version: "15.3", versionNumber: 150003, systemIdentifier: "1", dataDirectory: "/pg/data",
            walLevel: "replica", archiveMode: "on", dataChecksums: true, role: "postgres",
            canRunBackupFunctions: true, canCreateReplicationSlot: true)
        #expect(ServerRequirements.problems(facts).isEmpty, "without wal_archive the archiver is not read")
        facts.archiver = ArchiverStatus(
            archivedCount: 3, lastArchivedWAL: "000000010000000000000003",
            lastArchivedTime: "2026-12-01 02:00:00+00", failedCount: 7,
            lastFailedWAL: "000000010000000000000004",
            lastFailedTime: "2026-12-01 03:00:00+00", isFailing: true)
        let problems = ServerRequirements.problems(facts)
        #expect(problems.map(\.code) == ["archiver_failing"])
        #expect(problems.first?.exitStatus == .postgres)
        #expect(
            problems.first?.message.contains("last_failed_wal 000000010000000000000004 at 2026-12-01 03:00:00+00")
                == true)
        facts.archiver?.isFailing = false
        #expect(ServerRequirements.problems(facts).isEmpty, "failures before the last success are history")
    }

    @Test func theNextBackupsSizeIsEstimatedFromTheLastOneOrTheDatabases() throws {
        let last = TargetSpace.LastBackup(id: "20261130T031500Z", bytesRead: 4_000, bytesWritten: 1_000)
        #expect(TargetSpace.estimate(last: last, databaseBytes: 2_000)?.bytes == 1_000, "the last backup wrote more")
        #expect(TargetSpace.estimate(last: last, databaseBytes: 8_000)?.bytes == 2_000, "grown, at ratio 4")
        #expect(TargetSpace.estimate(last: nil, databaseBytes: 8_000)?.bytes == 8_000, "ratio 1.0 before the first")
        #expect(TargetSpace.estimate(last: nil, databaseBytes: nil) == nil)
        let target = TargetFacts(path: "/srv/pgsnap", exists: true, writable: true, freeBytes: 1_500)
        let problem = try #require(TargetSpace.problem(target: target, last: last, databaseBytes: 8_000))
        #expect(problem.code == "target_too_small")
        #expect(problem.exitStatus == .target)
        #expect(TargetSpace.problem(target: target, last: last, databaseBytes: 1_000) == nil)
    }

    // MARK: storage layouts

    static let dataDevice = DeviceNumber(major: 253, minor: 1)

    static func volume(
        _ name: String, kind: LogicalVolume.Kind, minor: UInt32, size: UInt64 = 10 << 30,
        free: UInt64 = 4 << 30, pool: String? = nil
    ) -> LogicalVolume {
        LogicalVolume(
            volumeGroup: "vg0", name: name, uuid: "uuid-\(name)", kind: kind, pool: pool, sizeBytes: size,
            volumeGroupFreeBytes: free, device: DeviceNumber(major: 253, minor: minor))
    }

    static func located(_ name: String, role: ClusterDirectory.Role = .tablespace, volume: LogicalVolume?)
        -> LocatedDirectory
    {
        let device = volume?.device ?? DeviceNumber(major: 8, minor: 1)
        return LocatedDirectory(
            directory: ClusterDirectory(role: role, name: name, oid: 1, path: "/pg/\(name)"),
            location: PathLocation(
                path: "/pg/\(name)", resolvedPath: "/pg/\(name)", device: device,
                logicalVolume: volume))
    }

    @Test func directoriesSharingAVolumeGetOneSnapshot() {
        let data = Self.volume("data", kind: .classic, minor: 1)
        let (snapshots, problems) = SnapshotPlanner.plan(
            [
                Self.located("pg_default", role: .dataDirectory, volume: data),
                Self.located("pg_global", role: .dataDirectory, volume: data),
                Self.located("pg_wal", role: .wal, volume: data),
            ],
            size: .percentOfOrigin(10))
        #expect(problems.isEmpty)
        #expect(snapshots.count == 1)
        #expect(snapshots[0].directories == ["pg_default", "pg_global"], "pg_wal is copied live, never snapshotted")
        // 10% of 10 GiB rounded up to 4 MiB extents.
        #expect(snapshots[0].sizeBytes == 1_073_741_824 + 4_194_304 - (1_073_741_824 % 4_194_304 == 0 ? 4_194_304 : 0))
    }

    @Test func thinSnapshotsNeedNoSizeAndClassicOnesMustFit() {
        let (snapshots, problems) = SnapshotPlanner.plan(
            [
                Self.located(
                    "pg_default", role: .dataDirectory,
                    volume: Self.volume("data", kind: .classic, minor: 1, free: 1 << 30)),
                Self.located("ts", volume: Self.volume("ts", kind: .thin, minor: 2, free: 1 << 30, pool: "pool")),
            ],
            size: .bytes(2 << 30))
        #expect(snapshots.map(\.sizeBytes) == [2 << 30, nil])
        #expect(problems.map(\.code) == ["vg_free_space"])
        #expect(problems.first?.message.contains("vg0") == true)
        #expect(problems.first?.exitStatus == .storage)
    }

    @Test func aDirectoryNotOnLVMIsNamed() {
        let (_, problems) = SnapshotPlanner.plan([Self.located("slow", volume: nil)], size: .percentOfOrigin(10))
        #expect(problems.map(\.code) == ["not_on_lvm"])
        #expect(problems.first?.message.contains("tablespace slow") == true)
        #expect(problems.first?.message.contains("/pg/slow") == true)
    }

    @Test func aTargetOnASnapshottedVolumeIsRefused() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-target-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let device = try VolumeResolver.identify(directory).device
        var origin = Self.volume("data", kind: .classic, minor: 1)
        origin.device = device
        let snapshot = PlannedSnapshot(origin: origin, sizeBytes: 1 << 30, directories: ["pg_default"])
        let (facts, problems) = TargetInspector(mounts: try MountTable.current())
            .inspect(directory, snapshots: [snapshot], directories: [])
        #expect(facts.writable)
        #expect(problems.map(\.code) == ["target_on_origin"])
        #expect(problems.first?.exitStatus == .target)
    }

    @Test func wholeRunOnAScriptedLVMLayout() throws {
        let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        // The scripted directories are real temp paths so stat(2) works; their device is this
        // machine's, which the fake device-mapper claims as an LV.
        let root = try TemporaryDirectory.make(prefix: "pgsnap-fakepg-")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/pg_wal", withIntermediateDirectories: true)
        let device = try VolumeResolver.identify(root).device
        let session = ScriptedSession(
            version: 160_000,
            answers: [
                (
                    "current_setting('server_version')",
                    .success(
                        QueryResult(
                            columns: Self.facts(version: 160_000).columns,
                            rows: [["16.3", "replica", "on", "on", root, "postgres", "t", "t"]]))
                ),
                ("pg_control_system", .success(QueryResult(columns: ["s"], rows: [["1"]]))),
                (
                    "pg_tablespace",
                    .success(
                        QueryResult(
                            columns: ["oid", "spcname", "location"],
                            rows: [["1663", "pg_default", ""], ["1664", "pg_global", ""]]))
                ),
            ])
        var volume = Self.volume("data", kind: .classic, minor: device.minor, size: 1 << 30, free: 1 << 30)
        volume.device = device
        let environment = PreflightEnvironment(
            connect: { _ throws(PostgresError) in session },
            kernel: KernelDevices(blockMajors: ["device-mapper": device.major]),
            mounts: { () throws(StorageError) in try MountTable.current() },
            deviceMapper: { () throws(StorageError) in
                FakeDeviceMapper([DeviceMapperDevice(name: "vg0-data", uuid: "LVM-abc", device: device)])
            },
            lvm: { () throws(StorageError) in FakeLVM([volume]) })
        var settings = Settings()
        settings.target = target
        let report = Preflight(settings: settings, environment: environment).run()
        #expect(session.closed)
        #expect(report.directories.map { $0.location?.logicalVolume?.path } == ["vg0/data", "vg0/data", "vg0/data"])
        #expect(report.snapshots.count == 1)
        // The target shares the fake origin's device, so it must be refused.
        #expect(report.problems.map(\.code) == ["target_on_origin"])
        #expect(report.exitStatus == .target)
    }

    @Test func lvmFailureIsReportedWithLVMsWords() throws {
        let session = Self.session(version: 150_000)
        let environment = PreflightEnvironment(
            connect: { _ throws(PostgresError) in session },
            kernel: KernelDevices(blockMajors: ["device-mapper": 253]),
            mounts: { () throws(StorageError) in MountTable(entries: []) },
            deviceMapper: { () throws(StorageError) in FakeDeviceMapper([]) },
            lvm: { () throws(StorageError) in
                FakeLVM(
                    [],
                    failure: StorageError(
                        code: .lvmFailed, detail: "LVM could not list logical volumes",
                        underlying: "Locking failed"))
            })
        var settings = Settings()
        settings.target = "/nonexistent-target"
        let report = Preflight(settings: settings, environment: environment).run()
        #expect(report.problems.map(\.code).contains("lvm_failed"))
        #expect(report.problems.first { $0.code == "lvm_failed" }?.message.contains("Locking failed") == true)
        #expect(report.problems.map(\.code).contains("target_missing"))
        #expect(report.exitStatus == .storage)
    }

    @Test func noDeviceMapperIsOneClearProblem() {
        let session = Self.session(version: 150_000)
        let environment = PreflightEnvironment(
            connect: { _ throws(PostgresError) in session },
            kernel: KernelDevices(blockMajors: [:]),
            mounts: { () throws(StorageError) in MountTable(entries: []) },
            deviceMapper: { () throws(StorageError) in
                Issue.record("device-mapper must not be touched without kernel support")
                return FakeDeviceMapper([])
            },
            lvm: { () throws(StorageError) in
                Issue.record("LVM must not be touched without kernel support")
                return FakeLVM([])
            })
        let report = Preflight(settings: Settings(), environment: environment).run()
        #expect(report.problems.map(\.code).prefix(1) == ["no_device_mapper"])
    }
}

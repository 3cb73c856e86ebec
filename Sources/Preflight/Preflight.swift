public import Configuration
import Foundation
import PostgresClient
import Storage

/// `pgsnap check`: everything a backup would verify before touching the server, with no side
/// effects. Each stage adds its facts and problems to the report; a failed stage does not hide
/// the problems of the stages that can still run.
public struct Preflight {
    public let settings: Settings
    public let environment: PreflightEnvironment
    /// Also sums `pg_database_size` for `check`'s estimate of the next backup's size; a backup
    /// leaves it off, as the sum walks every file of the cluster.
    public var measuresDatabases = false

    public init(settings: Settings, environment: PreflightEnvironment) {
        self.settings = settings
        self.environment = environment
    }

    public func run() -> CheckReport {
        var report = CheckReport(snapshotMode: settings.snapshot)
        let directories = inspectServer(&report)
        let mounts: MountTable
        do {
            mounts = try environment.mounts()
        } catch {
            report.problems.append(Problem(code: "mount_table", error))
            return report
        }
        if let directories {
            locate(directories, mounts: mounts, into: &report)
        }
        inspectTarget(mounts: mounts, into: &report)
        return report
    }

    /// Connects, reads the server facts and the cluster's directories.
    private func inspectServer(_ report: inout CheckReport) -> [ClusterDirectory]? {
        let session: any PostgresSession
        do {
            session = try environment.connect(settings.conninfo)
        } catch {
            report.problems.append(
                Problem(code: error.code == .authenticationFailed ? "authentication" : "connection", error))
            return nil
        }
        defer { session.close() }
        let inspector = ServerInspector(session: session)
        do {
            let facts = try inspector.facts(archiver: settings.walArchive != nil, databaseSize: measuresDatabases)
            report.server = facts
            report.problems += ServerRequirements.problems(facts)
            if let target = settings.target {
                report.walArchive = WALArchiveFacts.read(
                    target: target, archiveMode: facts.archiveMode, session: session, now: Date())
            }
            guard let dataDirectory = facts.dataDirectory else { return nil }
            return try inspector.directories(dataDirectory: dataDirectory)
        } catch {
            report.problems.append(Problem(code: "query", error))
            return nil
        }
    }

    /// Finds the volume behind each directory and plans the snapshots.
    private func locate(_ directories: [ClusterDirectory], mounts: MountTable, into report: inout CheckReport) {
        var deviceMapper: (any DeviceMapper)?
        var lvm: (any LVM)?
        if settings.snapshot == .lvm {
            do throws(StorageError) {
                guard environment.kernel.deviceMapperMajor != nil else {
                    throw StorageError(
                        code: .noDeviceMapper,
                        detail: "this kernel has no device-mapper, so nothing here is on LVM")
                }
                deviceMapper = try environment.deviceMapper()
                lvm = try environment.lvm()
            } catch {
                report.problems.append(Problem(code: error.code.rawValue, error))
                deviceMapper = nil
                lvm = nil
            }
        }
        let resolver: VolumeResolver
        do {
            resolver = try VolumeResolver(mounts: mounts, deviceMapper: deviceMapper, lvm: lvm)
        } catch {
            report.problems.append(Problem(code: error.code.rawValue, error))
            return
        }
        for directory in directories {
            do {
                let location = try resolver.locate(directory.path)
                let pool = location.logicalVolume.flatMap(resolver.pool(of:))
                report.directories.append(LocatedDirectory(directory: directory, location: location, pool: pool))
            } catch {
                report.directories.append(LocatedDirectory(directory: directory, location: nil))
                report.problems.append(Problem(code: "path_unavailable", error))
            }
        }
        guard settings.snapshot == .lvm, deviceMapper != nil else { return }
        let (snapshots, problems) = SnapshotPlanner.plan(
            report.directories, size: settings.snapshotSize, minimum: settings.snapshotSizeMin,
            maximum: settings.snapshotSizeMax)
        report.snapshots = snapshots
        report.problems += problems
    }

    private func inspectTarget(mounts: MountTable, into report: inout CheckReport) {
        guard let target = settings.target else {
            report.problems.append(
                Problem(code: "target_unset", ConfigurationError.missing(key: "target", flag: "--target")))
            return
        }
        let (facts, problems) = TargetInspector(mounts: mounts)
            .inspect(target, snapshots: report.snapshots, directories: report.directories)
        report.target = facts
        report.problems += problems
        if facts.exists, problems.isEmpty {
            report.problems += TargetOwnership.problems(target: target, cluster: report.server?.systemIdentifier)
        }
    }
}

import Configuration
import Preflight
import Storage

/// What one backup will do, decided before PostgreSQL is touched: the snapshots to make and
/// the archives to write, derived from the same analysis `pgsnap check` prints.
struct BackupPlan {
    struct Volume {
        var snapshot: PlannedSnapshot
        /// Name of the snapshot LV.
        var snapshotName: String
        /// Where the origin is mounted, to find the same directories inside the snapshot.
        var originMount: MountEntry
        /// Where the snapshot gets mounted.
        var mountDirectory: String
    }

    /// A directory whose files go into one archive.
    struct Source {
        var directory: ClusterDirectory
        var livePath: String
        /// The snapshot volume it is read from (nil: read live, snapshot = none).
        var volume: Int?
    }

    var id: String
    var report: CheckReport
    var volumes: [Volume]
    var sources: [Source]
    var mountRoot: String

    /// Builds the plan from a report without problems.
    init(id: String, report: CheckReport, settings: Settings) throws(BackupError) {
        self.id = id
        self.report = report
        mountRoot = settings.runDirectory + "/mnt/" + id
        var volumes: [Volume] = []
        var sources: [Source] = []
        // pg_wal's contents never come from a snapshot (WAL is copied from the live pg_wal,
        // protected by the replication slot), so a volume holding only pg_wal is not snapshotted.
        let archived = report.directories.filter { $0.directory.role != .wal && $0.directory.name != "pg_global" }
        for entry in archived {
            guard let location = entry.location else {
                throw BackupError(code: .notReady, detail: "\(entry.directory.path) could not be located")
            }
            var volumeIndex: Int?
            if settings.snapshot == .lvm {
                guard let snapshot = report.snapshots.first(where: { $0.origin.device == location.device }),
                    let mount = location.mount
                else {
                    throw BackupError(
                        code: .notReady, detail: "no snapshot planned for \(entry.directory.path)",
                        status: .storage)
                }
                if let index = volumes.firstIndex(where: { $0.snapshot.origin.uuid == snapshot.origin.uuid }) {
                    volumeIndex = index
                } else {
                    let name = Self.snapshotName(origin: snapshot.origin.name, id: id)
                    volumes.append(
                        Volume(
                            snapshot: snapshot, snapshotName: name, originMount: mount,
                            mountDirectory: mountRoot + "/" + snapshot.origin.volumeGroup + "-" + snapshot.origin.name))
                    volumeIndex = volumes.count - 1
                }
            }
            sources.append(Source(directory: entry.directory, livePath: location.resolvedPath, volume: volumeIndex))
        }
        self.volumes = volumes
        self.sources = sources
    }

    /// `<origin>_pgsnap_<id>`, shortened to LVM's 127-character limit.
    static func snapshotName(origin: String, id: String) -> String {
        let suffix = "_pgsnap_" + id
        return String(origin.prefix(127 - suffix.count)) + suffix
    }

    /// The path of `source` inside its mounted snapshot, or the live path without snapshots.
    func readPath(of source: Source) -> String {
        guard let index = source.volume else { return source.livePath }
        let volume = volumes[index]
        let mount = volume.originMount
        var relative = String(source.livePath.dropFirst(mount.mountPoint == "/" ? 0 : mount.mountPoint.count))
        if mount.root != "/" { relative = mount.root + relative }
        return volume.mountDirectory + relative
    }
}

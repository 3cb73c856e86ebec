public import Configuration
internal import ExitStatus
import Storage

/// Groups located directories into one snapshot per logical volume, sizes classic snapshots and
/// checks that each volume group has room for them.
public enum SnapshotPlanner {
    public static func plan(_ located: [LocatedDirectory], size: SnapshotSize)
        -> (snapshots: [PlannedSnapshot], problems: [Problem])
    {
        var snapshots: [PlannedSnapshot] = []
        var problems: [Problem] = []
        // pg_wal is never read from a snapshot: the backup copies WAL from the live pg_wal after
        // backup mode ends, protected by its replication slot. So it needs neither LVM nor space.
        for entry in located where entry.directory.role != .wal {
            guard let location = entry.location else { continue }
            guard let volume = location.logicalVolume, volume.kind == .classic || volume.kind == .thin else {
                problems.append(notOnLVM(entry.directory, location))
                continue
            }
            if let index = snapshots.firstIndex(where: { $0.origin.uuid == volume.uuid }) {
                snapshots[index].directories.append(entry.directory.name)
            } else {
                let bytes =
                    volume.kind == .thin
                    ? nil
                    : roundUp(
                        size.bytes(forOrigin: volume.sizeBytes),
                        to: volume.volumeGroupExtentBytes)
                snapshots.append(PlannedSnapshot(origin: volume, sizeBytes: bytes, directories: [entry.directory.name]))
            }
        }
        return (snapshots, problems + spaceProblems(snapshots))
    }

    private static func notOnLVM(_ directory: ClusterDirectory, _ location: PathLocation) -> Problem {
        let mount = location.mount.map { " (\($0.source) mounted on \($0.mountPoint), \($0.filesystemType))" } ?? ""
        let what =
            location.logicalVolume.map { "LVM volume \($0.path), a \($0.kind.rawValue) volume" }
            ?? "no LVM logical volume"
        return Problem(
            code: "not_on_lvm",
            message: "\(describe(directory)) \(directory.path) is on \(what)\(mount)",
            hint: "move it onto an LVM logical volume, or set snapshot = none to back up without snapshots",
            exitStatus: .storage)
    }

    private static func spaceProblems(_ snapshots: [PlannedSnapshot]) -> [Problem] {
        var needed: [String: (UInt64, UInt64)] = [:]
        for snapshot in snapshots {
            guard let bytes = snapshot.sizeBytes else { continue }
            let group = snapshot.origin.volumeGroup
            needed[group, default: (0, snapshot.origin.volumeGroupFreeBytes)].0 += bytes
        }
        return needed.sorted { $0.key < $1.key }.compactMap { group, sizes in
            let (want, free) = sizes
            guard want > free else { return nil }
            return Problem(
                code: "vg_free_space",
                message: "volume group \(group) has \(ByteCount(free)) free but its snapshots need \(ByteCount(want))",
                hint: "extend the volume group (vgextend) or lower snapshot_size", exitStatus: .storage)
        }
    }

    static func describe(_ directory: ClusterDirectory) -> String {
        switch directory.role {
        case .dataDirectory: return "the data directory"
        case .tablespace: return "tablespace \(directory.name) (oid \(directory.oid.map(String.init) ?? "?"))"
        case .wal: return "the WAL directory"
        }
    }

    static func roundUp(_ value: UInt64, to unit: UInt64) -> UInt64 {
        guard unit > 0 else { return value }
        return (value + unit - 1) / unit * unit
    }
}

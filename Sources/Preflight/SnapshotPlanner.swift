public import Configuration
internal import ExitStatus
public import Storage

/// Groups located directories into one snapshot per logical volume, sizes classic snapshots and
/// checks that each volume group has room for them.
public enum SnapshotPlanner {
    /// With `size = auto` each classic snapshot is planned at the least `autoRange` allows, so
    /// that a volume group without room even for that is a problem before the sample; the
    /// backup then sizes it (Sizing's AutoSnapshotSize).
    public static func plan(
        _ located: [LocatedDirectory], size: SnapshotSize, minimum: SnapshotSize = .bytes(256 << 20),
        maximum: SnapshotSize = .percentOfOrigin(50)
    ) -> (snapshots: [PlannedSnapshot], problems: [Problem]) {
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
                let extent = volume.volumeGroupExtentBytes
                let bytes =
                    volume.kind == .thin
                    ? nil
                    : size.bytes(forOrigin: volume.sizeBytes).map { roundUp($0, to: extent) }
                        ?? autoRange(minimum: minimum, maximum: maximum, origin: volume).lowerBound
                var planned = PlannedSnapshot(origin: volume, sizeBytes: bytes, directories: [entry.directory.name])
                planned.autoSized = size == .auto && volume.kind == .classic
                snapshots.append(planned)
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

    /// The sizes `snapshot_size = auto` may choose for a classic snapshot of `origin`, in whole
    /// extents: from `minimum` to `maximum` (the maximum wins where they cross), never more
    /// than a snapshot that holds a copy of every chunk of the origin needs.
    public static func autoRange(minimum: SnapshotSize, maximum: SnapshotSize, origin: LogicalVolume)
        -> ClosedRange<UInt64>
    {
        let extent = origin.volumeGroupExtentBytes
        let whole = roundUp(origin.sizeBytes + origin.sizeBytes / 256 + 4096, to: extent)
        let high = min(roundUp(maximum.bytes(forOrigin: origin.sizeBytes) ?? whole, to: extent), whole)
        let low = min(roundUp(minimum.bytes(forOrigin: origin.sizeBytes) ?? 0, to: extent), high)
        return max(low, extent)...max(high, extent)
    }

    static func roundUp(_ value: UInt64, to unit: UInt64) -> UInt64 {
        guard unit > 0 else { return value }
        return (value + unit - 1) / unit * unit
    }
}

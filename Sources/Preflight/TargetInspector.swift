public import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Checks the backup target: present, writable, its free space, and that it is not on a volume
/// that gets snapshotted (backup writes would fill that snapshot) or inside the cluster.
public struct TargetInspector {
    public let mounts: MountTable

    public init(mounts: MountTable) {
        self.mounts = mounts
    }

    public func inspect(_ path: String, snapshots: [PlannedSnapshot], directories: [LocatedDirectory])
        -> (TargetFacts, [Problem])
    {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return (
                TargetFacts(path: path, exists: false, writable: false),
                [
                    problem(
                        "target_missing", "backup target \(path) does not exist",
                        "create it (mode 0700, owned by root) or point --target elsewhere")
                ]
            )
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            return (
                TargetFacts(path: path, exists: true, writable: false),
                [
                    problem(
                        "target_not_directory", "backup target \(path) is not a directory",
                        "point --target at a directory")
                ]
            )
        }
        let writable = access(path, W_OK | X_OK) == 0
        let device = DeviceNumber(UInt64(info.st_dev))
        var facts = TargetFacts(
            path: path, exists: true, writable: writable, freeBytes: Self.freeBytes(path),
            device: device)
        if let resolved = try? VolumeResolver.identify(path).resolved,
            let mount = mounts.mount(containing: resolved, device: device)
        {
            facts.mountPoint = mount.mountPoint
            facts.filesystem = mount.filesystemType
        }
        var problems: [Problem] = []
        if !writable {
            problems.append(
                problem(
                    "target_not_writable", "backup target \(path) is not writable",
                    "make it writable for the user pgsnap runs as (root)"))
        }
        if let origin = snapshots.first(where: { $0.origin.device == device }) {
            problems.append(
                problem(
                    "target_on_origin",
                    "backup target \(path) is on \(origin.origin.path), a volume that gets snapshotted",
                    "put backups on another volume: writing them to the origin would fill its snapshot"))
        }
        let resolvedTarget = (try? VolumeResolver.identify(path).resolved) ?? path
        if let inside = directories.first(where: {
            guard let root = $0.location?.resolvedPath else { return false }
            return MountTable.isPath(resolvedTarget, inside: root)
        }) {
            problems.append(
                problem(
                    "target_inside_cluster", "backup target \(path) is inside \(inside.directory.path)",
                    "put backups outside the data directory and tablespaces"))
        }
        return (facts, problems)
    }

    private func problem(_ code: String, _ message: String, _ hint: String) -> Problem {
        Problem(code: code, message: message, hint: hint, exitStatus: .target)
    }

    static func freeBytes(_ path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

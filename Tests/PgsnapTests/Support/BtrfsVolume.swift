import Foundation

/// A btrfs file system on a loop device, its top level mounted at `top`, for the tests of
/// storage snapshots (`btrfs subvolume snapshot`, as an array or hypervisor takes them).
/// `close()` unmounts every mount it made and detaches the loop device.
final class BtrfsVolume {
    let directory: String
    var top: String { directory + "/top" }
    let loop: String
    private var mounts: [String] = []

    init(megabytes: Int = 768) throws {
        directory = try TemporaryDirectory.make(prefix: "pgsnap-btrfs-")
        // The servers started on its subvolumes run as postgres and must reach them.
        try Command.output("/bin/chmod", ["755", directory])
        try FileManager.default.createDirectory(atPath: directory + "/top", withIntermediateDirectories: false)
        try Command.output("/usr/bin/truncate", ["-s", "\(megabytes)M", directory + "/fs.img"])
        try Command.output("/usr/sbin/mkfs.btrfs", ["-q", "-f", directory + "/fs.img"])
        loop = try Command.output("/sbin/losetup", ["--find", "--show", directory + "/fs.img"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try mount(options: "subvolid=5", at: directory + "/top")
    }

    /// Creates subvolume `name` at the top level, owned by `owner` with mode 0700.
    func createSubvolume(_ name: String, owner: String) throws {
        try Command.output("/usr/bin/btrfs", ["subvolume", "create", top + "/" + name])
        try Command.output("/bin/chown", [owner + ":" + owner, top + "/" + name])
        try Command.output("/bin/chmod", ["700", top + "/" + name])
    }

    /// Mounts subvolume `name` at `path` (the way the cluster's directories live on it).
    func mount(subvolume name: String, at path: String) throws {
        try mount(options: "subvol=" + name, at: path)
    }

    /// `btrfs subvolume snapshot [-r] top/from top/to`.
    func snapshot(_ from: String, to: String, readOnly: Bool) throws {
        try Command.output(
            "/usr/bin/btrfs",
            ["subvolume", "snapshot"] + (readOnly ? ["-r"] : []) + [top + "/" + from, top + "/" + to])
    }

    private func mount(options: String, at path: String) throws {
        try Command.output("/bin/mount", ["-t", "btrfs", "-o", options, loop, path])
        mounts.append(path)
    }

    func close() {
        for path in mounts.reversed() { _ = Command.run("/bin/umount", [path]) }
        mounts = []
        _ = Command.run("/sbin/losetup", ["-d", loop])
        try? FileManager.default.removeItem(atPath: directory)
    }
}

import Foundation

/// A tiny ext4 file system on a loop device, mounted for one test: the real way to make a
/// write fail with ENOSPC. Unmounted, detached and removed afterwards, whatever the test did.
enum SmallFileSystem {
    /// Calls `body` with the mount point (inside the image's directory) and that directory.
    static func withMounted(
        megabytes: Int = 8, prefix: String, _ body: (_ mountPoint: String, _ directory: String) throws -> Void
    )
        throws
    {
        let image = try TemporaryDirectory.make(prefix: prefix)
        let mountPoint = image + "/mnt"
        defer { try? FileManager.default.removeItem(atPath: image) }
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        try Command.output("/usr/bin/truncate", ["-s", "\(megabytes)M", image + "/fs.img"])
        try Command.output("/sbin/mkfs.ext4", ["-q", "-F", image + "/fs.img"])
        let loop = try Command.output("/sbin/losetup", ["--find", "--show", image + "/fs.img"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = Command.run("/sbin/losetup", ["-d", loop]) }
        try Command.output("/bin/mount", [loop, mountPoint])
        defer { _ = Command.run("/bin/umount", [mountPoint]) }
        try body(mountPoint, image)
    }
}

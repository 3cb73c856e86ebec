import Foundation
import Catalog
import ExitStatus
import Storage

/// Recognises and removes what a crashed or SIGKILLed earlier run left behind: mounts under
/// pgsnap's own mount root and LVs carrying pgsnap's tag. Nothing else is ever touched.
enum Leftovers {
    /// The tag on every snapshot pgsnap creates.
    static let tag = "pgsnap"

    /// Unmounts every mount below `mountRoot`, deepest first, and removes the empty directories.
    /// Returns the mount points it unmounted.
    @discardableResult
    static func unmount(under mountRoot: String, mounter: any Mounter, log: (String) -> Void) throws(StorageError)
        -> [String]
    {
        let table = try MountTable.current()
        let stale = table.entries.map(\.mountPoint).filter { $0.hasPrefix(mountRoot + "/") }
        var unmounted: [String] = []
        for directory in stale.sorted(by: { $0.count > $1.count }) {
            log("unmounting leftover \(directory)")
            try mounter.unmount(directory)
            unmounted.append(directory)
        }
        removeEmptyDirectories(under: mountRoot)
        return unmounted
    }

    /// Removes every snapshot LV tagged `pgsnap`, or named `<origin>_pgsnap_<id>` (the name is
    /// given at creation, the tag just after it, so a SIGKILL in between leaves the name only).
    /// Returns the paths of the snapshots it removed.
    @discardableResult
    static func removeSnapshots(lvm: any LVMSnapshots, log: (String) -> Void) throws(StorageError) -> [String] {
        var removed: [String] = []
        for volume in try lvm.logicalVolumes() where isPgsnapSnapshot(volume) {
            log("removing leftover snapshot \(volume.path)")
            try lvm.removeVolume(volumeGroup: volume.volumeGroup, name: volume.name)
            removed.append(volume.path)
        }
        return removed
    }

    static func isPgsnapSnapshot(_ volume: LogicalVolume) -> Bool {
        if volume.tags.contains(tag) { return true }
        guard volume.origin != nil, let range = volume.name.range(of: "_pgsnap_", options: .backwards) else { return false }
        return BackupID.isValid(String(volume.name[range.upperBound...]))
    }

    /// `<id>.partial/.pgsnap-run`: the host and process writing the directory, so a run only
    /// ever removes its own host's leftovers, never the live `.partial` of another host
    /// sharing the target (docs/target.md). Removed just before the commit's rename.
    static let runMarker = ".pgsnap-run"
    /// An unmarked `.partial` (from a pgsnap before markers) is taken for a crash's only once
    /// it is this old: no backup runs for a day without writing a marker first.
    static let unmarkedPartialSeconds: Double = 86_400

    /// Writes the marker into a `.partial` directory just created.
    static func markPartial(_ directory: String) throws {
        try Durability.writeNew(Data("host=\(hostName())\npid=\(getpid())\n".utf8), to: directory + "/" + runMarker)
    }

    /// Removes the marker before the commit, so the complete backup holds only what it lists.
    static func unmarkPartial(_ directory: String) throws {
        guard unlink(directory + "/" + runMarker) == 0 || errno == ENOENT else {
            throw BackupError(code: .target, detail: "cannot remove \(directory)/\(runMarker)",
                              underlying: String(cString: strerror(errno)))
        }
    }

    /// Removes the `<id>.partial` directories a killed run of this host left in the target
    /// (never a complete backup): those whose marker names this host, and unmarked ones older
    /// than a day. Returns the directories it removed.
    @discardableResult
    static func removePartialBackups(in target: String, host: String = hostName(), now: Date = Date(),
                                     log: (String) -> Void) -> [String] {
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? [] {
            guard name.hasSuffix(".partial"), BackupID.isValid(String(name.dropLast(".partial".count))) else { continue }
            let path = target + "/" + name
            guard isOwnLeftover(path, host: host, now: now, log: log) else { continue }
            log("removing leftover partial backup \(path)")
            if (try? FileManager.default.removeItem(atPath: path)) != nil {
                removed.append(path)
            }
        }
        return removed
    }

    /// Whether `partial` was left by a run of `host`, or, unmarked, is older than a day.
    static func isOwnLeftover(_ partial: String, host: String, now: Date, log: (String) -> Void) -> Bool {
        let marker = partial + "/" + runMarker
        guard let writer = markerHost(marker) else {
            var info = stat()
            guard lstat(partial, &info) == 0 else { return false }
            let age = now.timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
            if age > unmarkedPartialSeconds { return true }
            log("leaving \(partial): it has no \(runMarker) and is younger than a day, so it may be another host's run")
            return false
        }
        if writer == host { return true }
        log("leaving \(partial): it is being written, or was left, by host \(Echo.line(writer))")
        return false
    }

    /// The `host=` line of a marker; nil when there is no readable marker.
    static func markerHost(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 4096) else { return nil }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("host=") }
        return line.map { String($0.dropFirst("host=".count)) }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func removeEmptyDirectories(under root: String) {
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for child in children {
            let path = root + "/" + child
            removeEmptyDirectories(under: path)
            rmdir(path)
        }
    }
}

import CSystemShims
import Catalog
import ExitStatus
import Foundation
import Storage
import SystemCalls
import TargetLayout

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

    /// Removes every snapshot LV tagged `pgsnap`, or named `<origin>_pgsnap_<id>` (both are given
    /// by the one lvcreate; the name alone still marks a snapshot whose tag was lost).
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
        guard volume.origin != nil, let range = volume.name.range(of: "_pgsnap_", options: .backwards) else {
            return false
        }
        return BackupID.isValid(String(volume.name[range.upperBound...]))
    }

    /// `<id>.partial/.pgsnap-run`: the host and process writing the directory, so a run only
    /// ever removes its own host's leftovers, never the live `.partial` of another host
    /// sharing the target (docs/target.md). Removed just before the commit's rename.
    static let runMarker = ".pgsnap-run"
    /// An unmarked `.partial` (from a pgsnap before markers) is taken for a crash's only once
    /// it is this old: no backup runs for a day without writing a marker first.
    static let unmarkedPartialSeconds: Double = 86_400

    /// Creates `<target>/<id>.partial` with its marker already in it: the directory is made
    /// and marked under its staging name, then renamed, so no instant exists in which a
    /// `.partial` lacks the marker that tells whose it is. A run killed before the rename
    /// leaves only the staging directory, which its own host's next run or cleanup removes.
    static func createPartial(in target: String, id: String, host: String = hostName()) throws -> String {
        let partial = target + "/" + id + BackupFiles.partialSuffix
        let staging = target + "/" + stagingName(id: id, host: host)
        guard mkdir(staging, 0o700) == 0 else {
            throw BackupError(code: .target, detail: "cannot create \(staging)", underlying: Errno.current.description)
        }
        do {
            try Durability.writeNew(Data("host=\(host)\npid=\(getpid())\n".utf8), to: staging + "/" + runMarker)
            try Durability.sync(staging)
            guard pgsnap_rename_noreplace(staging, partial) == 0 else {
                throw BackupError(
                    code: .target, detail: "cannot rename \(staging) to \(partial)",
                    underlying: Errno.current.description)
            }
            try Durability.sync(target)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        return partial
    }

    /// `.pgsnap-new.<id>.<host>`: hidden, never a catalog entry, and named after its host so a
    /// leftover is recognised as this host's without reading anything inside it.
    static func stagingName(id: String, host: String) -> String {
        stagingPrefix + id + "." + safeHost(host)
    }

    static let stagingPrefix = ".pgsnap-new."

    /// The host name as a file-name part: anything but letters, digits, '.', '-' and '_'
    /// becomes '_', and it is cut at 64 bytes (gethostname's value is not trusted).
    static func safeHost(_ host: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_".utf8)
        let bytes = host.utf8.prefix(64).map { allowed.contains($0) ? $0 : UInt8(ascii: "_") }
        return bytes.isEmpty ? "unknown" : String(decoding: bytes, as: UTF8.self)
    }

    /// Removes the marker before the commit, so the complete backup holds only what it lists.
    static func unmarkPartial(_ directory: String) throws {
        guard unlink(directory + "/" + runMarker) == 0 || errno == ENOENT else {
            throw BackupError(
                code: .target, detail: "cannot remove \(directory)/\(runMarker)",
                underlying: Errno.current.description)
        }
    }

    /// Removes the `<id>.partial` directories a killed run of this host left in the target
    /// (never a complete backup): those whose marker names this host, and unmarked ones older
    /// than a day. Returns the directories it removed.
    @discardableResult
    static func removePartialBackups(
        in target: String, host: String = hostName(), now: Date = Date(),
        log: (String) -> Void
    ) -> [String] {
        var removed: [String] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
        for name in names where isOwnStaging(name, host: host) {
            let path = target + "/" + name
            log("removing leftover \(path) (a run killed while creating its .partial)")
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        for name in names {
            guard let entry = EntryName(name), entry.suffix == .partial else { continue }
            let path = target + "/" + name
            guard isOwnLeftover(path, host: host, now: now, log: log) else { continue }
            log("removing leftover partial backup \(path)")
            if (try? FileManager.default.removeItem(atPath: path)) != nil {
                removed.append(path)
            }
        }
        return removed
    }

    /// Whether `name` is this host's staging directory for a valid backup ID. Only called under
    /// the run lock, so it is never a live run's.
    static func isOwnStaging(_ name: String, host: String) -> Bool {
        let suffix = "." + safeHost(host)
        guard name.hasPrefix(stagingPrefix), name.hasSuffix(suffix) else { return false }
        let id = name.dropFirst(stagingPrefix.count).dropLast(suffix.count)
        return BackupID.isValid(String(id))
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

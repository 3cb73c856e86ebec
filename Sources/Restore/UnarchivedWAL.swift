internal import Archive
internal import Foundation
internal import Glibc

/// WAL that an old pg_wal still had to archive (`archive_status/<name>.ready`), moved out of
/// the way before `--overwrite` empties the directory: it may be the only copy of the last
/// transactions of the cluster that lived there, so it is never deleted silently.
enum UnarchivedWAL {
    /// Moves every `.ready` file and its segment from `walDirectory` into a new 0700 directory
    /// `<besides>.pgsnap-unarchived-wal-<UTC time>` and returns that directory, or nil when
    /// there was nothing to keep. Renames only: the directory is a sibling, so on the same file
    /// system, and a failed rename stops the restore before anything is removed.
    static func keepAside(from walDirectory: String, besides: String, owner: RestoreOwner?,
                          now: Date = Date()) throws(RestoreError) -> String? {
        let status = walDirectory + "/archive_status"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: status)) ?? [])
            .filter { $0.hasSuffix(".ready") && $0.count > ".ready".count && !$0.hasPrefix(".") }
            .sorted()
        guard !names.isEmpty else { return nil }
        let kept = try makeDirectory(besides: besides, now: now, owner: owner)
        guard mkdir(kept + "/archive_status", 0o700) == 0 else {
            throw RestoreError(code: .destination, detail: "cannot create \(kept)/archive_status",
                               underlying: SystemCall.describe(errno))
        }
        if let owner { _ = chown(kept + "/archive_status", owner.uid, owner.gid) }
        for name in names {
            let segment = String(name.dropLast(".ready".count))
            try move(walDirectory + "/" + segment, to: kept + "/" + segment, ifPresent: true)
            try move(status + "/" + name, to: kept + "/archive_status/" + name, ifPresent: false)
        }
        for directory in [kept + "/archive_status", kept, (kept as NSString).deletingLastPathComponent] {
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = fsync(descriptor)
                close(descriptor)
            }
        }
        return kept
    }

    private static func makeDirectory(besides: String, now: Date, owner: RestoreOwner?) throws(RestoreError) -> String {
        let base = besides + ".pgsnap-unarchived-wal-" + stamp(now)
        for attempt in 0..<100 {
            let path = attempt == 0 ? base : base + "-\(attempt + 1)"
            if mkdir(path, 0o700) == 0 {
                // mkdir honours the umask; the mode must be exactly 0700.
                _ = chmod(path, 0o700)
                if let owner { _ = chown(path, owner.uid, owner.gid) }
                return path
            }
            guard errno == EEXIST else {
                throw RestoreError(code: .destination, detail: "cannot create \(path) to keep unarchived WAL",
                                   underlying: SystemCall.describe(errno))
            }
        }
        throw RestoreError(code: .destination, detail: "cannot create a directory to keep unarchived WAL next to \(besides)")
    }

    /// `20261124T031500Z`.
    static func stamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    private static func move(_ source: String, to destination: String, ifPresent: Bool) throws(RestoreError) {
        if rename(source, destination) == 0 || (ifPresent && errno == ENOENT) { return }
        throw RestoreError(code: .destination,
                           detail: "cannot move unarchived WAL \(source) to \(destination); nothing was removed",
                           underlying: SystemCall.describe(errno))
    }
}

internal import Archive
internal import Foundation
internal import Glibc
internal import PostgresFormat
internal import SystemCalls

/// WAL that an old pg_wal may hold as its only copy, moved out of the way before `--overwrite`
/// empties the directory: every segment, `.partial` and `.history` file without an
/// `archive_status/<name>.done` marker. That covers the `.ready` ones, the current segment
/// (which never has a marker until it is full) and all WAL of a cluster that ran with
/// archive_mode = off; the last transactions of the cluster that lived there are never deleted
/// silently.
enum UnarchivedWAL {
    /// Moves every such file (with its `.ready` marker, if any) from `walDirectory` into a new
    /// 0700 directory `<besides>.pgsnap-unarchived-wal-<UTC time>` and returns that directory,
    /// or nil when there was nothing to keep. Renames only: a failed rename stops the restore
    /// before anything is removed.
    static func keepAside(
        from walDirectory: String, besides: String, owner: RestoreOwner?,
        now: Date = Date()
    ) throws(RestoreError) -> String? {
        let status = walDirectory + "/archive_status"
        let markers = Set((try? FileManager.default.contentsOfDirectory(atPath: status)) ?? [])
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: walDirectory)) ?? [])
            .filter { isWAL($0) && !markers.contains($0 + ".done") }
            .sorted()
        guard !names.isEmpty else { return nil }
        try refuseOtherFileSystem(walDirectory, besides: besides, example: names[0])
        let kept = try makeDirectory(besides: besides, now: now, owner: owner)
        guard mkdir(kept + "/archive_status", 0o700) == 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot create \(kept)/archive_status",
                underlying: Errno.current.description)
        }
        if let owner { _ = chown(kept + "/archive_status", owner.uid, owner.gid) }
        for name in names {
            try move(walDirectory + "/" + name, to: kept + "/" + name, ifPresent: false)
            if markers.contains(name + ".ready") {
                try move(
                    status + "/" + name + ".ready", to: kept + "/archive_status/" + name + ".ready", ifPresent: true)
            }
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

    /// A segment, a `.partial` segment or a timeline `.history` file, in either case of hex
    /// digits: what recovery or a later archiving still needs.
    static func isWAL(_ name: String) -> Bool {
        WALFileName.mayBeWAL(name)
    }

    /// Keeping aside is a rename; across file systems (pg_wal or the destination a mount point)
    /// it cannot be, and copying gigabytes of WAL is not a restore's job: said before anything moves.
    private static func refuseOtherFileSystem(_ walDirectory: String, besides: String, example: String)
        throws(RestoreError)
    {
        let parent = (besides as NSString).deletingLastPathComponent
        var wal = stat()
        var target = stat()
        guard stat(walDirectory, &wal) == 0, stat(parent.isEmpty ? "/" : parent, &target) == 0,
            wal.st_dev != target.st_dev
        else { return }
        throw RestoreError(
            code: .destination,
            detail:
                "\(walDirectory) holds WAL that was never archived (\(example), ...), and pgsnap can only keep it aside by renaming it into \(parent), which is another file system; nothing was removed: archive or copy that WAL elsewhere and remove it from \(walDirectory), then run the restore again"
        )
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
                throw RestoreError(
                    code: .destination, detail: "cannot create \(path) to keep unarchived WAL",
                    underlying: Errno.current.description)
            }
        }
        throw RestoreError(
            code: .destination, detail: "cannot create a directory to keep unarchived WAL next to \(besides)")
    }

    /// `20261124T031500Z`.
    static func stamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    private static func move(_ source: String, to destination: String, ifPresent: Bool) throws(RestoreError) {
        if rename(source, destination) == 0 || (ifPresent && errno == ENOENT) { return }
        let why =
            errno == EXDEV
            ? "; they are on different file systems, so it cannot be renamed: archive or copy it elsewhere and remove it from the old pg_wal, then run the restore again"
            : ""
        throw RestoreError(
            code: .destination,
            detail: "cannot move unarchived WAL \(source) to \(destination); nothing was removed\(why)",
            underlying: Errno.current.description)
    }
}

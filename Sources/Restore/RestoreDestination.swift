internal import Archive
internal import Foundation
internal import Glibc
internal import SystemCalls

/// One directory a restore writes into (the data directory or a tablespace location): checked
/// before anything is written and emptied again if the restore fails.
///
/// A directory the restore created is removed on failure; one that existed (empty, or emptied
/// by `--overwrite`) is left empty, so a failed restore never leaves files that could be
/// mistaken for a cluster.
final class RestoreDestination {
    let path: String
    let purpose: String
    /// For tablespace locations that come from backup.json rather than the command line:
    /// `--overwrite` only empties a directory that holds nothing but `PG_*` version directories,
    /// so a damaged or hostile record cannot turn `--overwrite` into `rm -rf /etc`.
    let overwriteOnlyTablespaceContents: Bool
    /// Where WAL would be in the old contents: "pg_wal" for a data directory, "" for a WAL
    /// directory, nil for a tablespace.
    let walSubdirectory: String?
    private(set) var created = false
    /// Parent directories this restore created for `path`, outermost first: a failed restore
    /// removes them too, so it leaves the file system as it found it.
    private(set) var createdParents: [String] = []
    /// Where `--overwrite` moved segments the old pg_wal had not archived yet.
    private(set) var keptUnarchivedWAL: String?

    init(path: String, purpose: String, overwriteOnlyTablespaceContents: Bool = false, walSubdirectory: String? = nil) {
        self.path = path
        self.purpose = purpose
        self.overwriteOnlyTablespaceContents = overwriteOnlyTablespaceContents
        self.walSubdirectory = walSubdirectory
    }

    /// Refuses a non-empty directory unless `overwrite`, in which case its contents go.
    func prepare(overwrite: Bool, owner: RestoreOwner?) throws(RestoreError) {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw RestoreError(code: .destination, detail: "\(purpose) \(path) exists and is not a directory")
            }
            let entries = try contents()
            if !entries.isEmpty {
                guard overwrite else {
                    throw RestoreError(
                        code: .destination,
                        detail:
                            "\(purpose) \(path) is not empty (\(entries.count) entries); pass --overwrite to replace its contents"
                    )
                }
                if overwriteOnlyTablespaceContents, let other = entries.first(where: { !$0.hasPrefix("PG_") }) {
                    throw RestoreError(
                        code: .destination,
                        detail:
                            "\(purpose) \(path) holds \(other), which is not a tablespace's; pgsnap only overwrites tablespace contents there (relocate it with --tablespace)"
                    )
                }
                try keepUnarchivedWAL(owner: owner)
                try clear()
            }
        } else if errno == ENOENT {
            try createParents()
            guard mkdir(path, 0o700) == 0 else {
                throw RestoreError(
                    code: .destination, detail: "cannot create \(purpose) \(path)",
                    underlying: Errno.current.description)
            }
            created = true
        } else {
            throw RestoreError(
                code: .destination, detail: "cannot examine \(purpose) \(path)", underlying: Errno.current.description)
        }
        guard chmod(path, 0o700) == 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot set mode 0700 on \(path)", underlying: Errno.current.description)
        }
        if let owner, chown(path, owner.uid, owner.gid) != 0 {
            throw RestoreError(
                code: .destination, detail: "cannot give \(path) to \(owner.uid):\(owner.gid)",
                underlying: Errno.current.description)
        }
    }

    /// After a failure: remove what was written.
    func rollBack() {
        if created {
            try? FileManager.default.removeItem(atPath: path)
        } else {
            try? clear()
        }
        // rmdir, never a recursive removal: a parent that something else filled meanwhile stays.
        for parent in createdParents.reversed() { rmdir(parent) }
        createdParents = []
    }

    /// The old pg_wal's unarchived segments, moved next to the destination. A pg_wal that is a
    /// symlink is not followed: clearing removes only the link, and the directory it points to
    /// is a destination of its own (`--waldir`) or left alone.
    private func keepUnarchivedWAL(owner: RestoreOwner?) throws(RestoreError) {
        guard let walSubdirectory else { return }
        let wal = walSubdirectory.isEmpty ? path : path + "/" + walSubdirectory
        var info = stat()
        guard lstat(wal, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return }
        keptUnarchivedWAL = try UnarchivedWAL.keepAside(from: wal, besides: path, owner: owner)
    }

    private func contents() throws(RestoreError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw RestoreError(
                code: .destination, detail: "cannot read \(purpose) \(path)", underlying: error.localizedDescription)
        }
    }

    /// Removes every entry; symlinks are removed, never followed.
    private func clear() throws(RestoreError) {
        for name in try contents() {
            do {
                try FileManager.default.removeItem(atPath: path + "/" + name)
            } catch {
                throw RestoreError(
                    code: .destination, detail: "cannot remove \(path)/\(name)", underlying: error.localizedDescription)
            }
        }
    }

    /// Creates the missing parents of `path` one at a time (mode 0755, as `mkdir -p`),
    /// remembering each so that `rollBack` can remove exactly those.
    private func createParents() throws(RestoreError) {
        var missing: [String] = []
        var parent = (path as NSString).deletingLastPathComponent
        var info = stat()
        while !parent.isEmpty, parent != "/", lstat(parent, &info) != 0, errno == ENOENT {
            missing.append(parent)
            parent = (parent as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            if mkdir(directory, 0o755) == 0 {
                createdParents.append(directory)
            } else if errno != EEXIST {
                throw RestoreError(
                    code: .destination, detail: "cannot create \(directory)", underlying: Errno.current.description)
            }
        }
    }
}

import Foundation
import SystemCalls

/// The files a run wrote into `<id>.partial`, each with the inode and size it had when written,
/// so the commit can prove that what it renames into place is still exactly that: an archive
/// removed, replaced or truncated during the run (by an admin, a cleanup script, a full disk
/// that someone "made room" on) must fail the run, never be committed as a complete backup.
struct WrittenFiles {
    struct File: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: UInt64
        /// The inode change time, in nanoseconds: a file removed and written again at the same
        /// size can get the freed inode back, but never the old change time.
        var changed: Int64
    }

    private(set) var files: [(name: String, file: File)] = []

    /// Notes `name` in `directory` as just written; `size` is what the writer wrote, so a file
    /// already swapped or cut before this call does not match either.
    mutating func record(_ name: String, in directory: String, size: UInt64? = nil) throws {
        let path = directory + "/" + name
        let file: File
        switch Self.identify(path) {
        case .success(let found): file = found
        case .failure(let reason):
            throw BackupError(
                code: .archiveChanged, detail: "\(path) was removed during the run, as it was written",
                underlying: reason.text)
        }
        if let size, file.size != size {
            throw BackupError(
                code: .archiveChanged,
                detail: "\(path) holds \(file.size) bytes right after \(size) were written")
        }
        files.removeAll { $0.name == name }
        files.append((name, file))
    }

    /// Throws unless every recorded file is still in `directory`, the same inode, the same size.
    func check(in directory: String) throws {
        for (name, expected) in files {
            let path = directory + "/" + name
            let found: File
            switch Self.identify(path) {
            case .success(let file): found = file
            case .failure(let reason):
                throw BackupError(
                    code: .archiveChanged,
                    detail: "\(path) was removed during the run; nothing was committed",
                    underlying: reason.text)
            }
            guard found == expected else {
                throw BackupError(
                    code: .archiveChanged,
                    detail: "\(path) was replaced or changed during the run (inode \(expected.inode), "
                        + "\(expected.size) bytes written; now inode \(found.inode), \(found.size) bytes); "
                        + "nothing was committed")
            }
        }
    }

    /// lstat(2): a symlink or anything else put in an archive's place is not the archive. The
    /// failure is the reason, `strerror` text or "not a regular file".
    private static func identify(_ path: String) -> Result<File, Reason> {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .failure(Reason(Errno.current.description)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(Reason("not a regular file")) }
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        return .success(
            File(
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: UInt64(info.st_size),
                changed: changed))
    }

    struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }
}

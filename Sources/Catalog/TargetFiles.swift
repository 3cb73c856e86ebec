import Foundation
import SystemCalls
import TargetLayout

/// The few system calls the catalog makes on a target, each failure carrying `strerror` text
/// rather than Foundation's wrapped errors.
enum TargetFiles {
    /// Names in a directory, without `.` and `..`.
    static func names(in directory: String) throws(CatalogError) -> [String] {
        guard let stream = opendir(directory) else {
            throw .unreadable(path: directory, reason: Errno.current.description)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// lstat(2): never follows a symlink, so a link in the target is never taken for a backup.
    static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegularFile(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

    /// The whole file, or nil when it does not exist; any other failure (permissions, I/O) is
    /// thrown, because a record that exists but cannot be read must not be taken for a missing one.
    /// Never more than `limit` bytes are read: a record larger than any pgsnap writes is
    /// refused as unreadable instead of filling memory.
    static func contents(of path: String, limit: Int = RecordChecksum.maximumRecordBytes) throws(CatalogError) -> Data?
    {
        try contentsAndStatus(of: path, limit: limit)?.data
    }

    /// `contents(of:limit:)` with fstat(2) of the very descriptor read, so what is judged (owner,
    /// mode) is the file whose bytes were read, not whatever the path names a moment later.
    static func contentsAndStatus(of path: String, limit: Int = RecordChecksum.maximumRecordBytes)
        throws(CatalogError) -> (data: Data, status: stat)?
    {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw .unreadable(path: path, reason: Errno.current.description)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .unreadable(path: path, reason: Errno.current.description) }
        guard isRegularFile(info) else { throw .unreadable(path: path, reason: "not a regular file") }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = SystemCall.retrying {
                buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            }
            if count < 0 { throw .unreadable(path: path, reason: Errno.current.description) }
            if count == 0 { return (data, info) }
            guard data.count + count <= limit else {
                throw .unreadable(path: path, reason: "larger than \(limit) bytes, which no file pgsnap writes is")
            }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// A new file (never over an existing one), mode 0600, written and fsync'd.
    static func writeNew(_ data: Data, to path: String) throws(CatalogError) {
        do {
            try Durability.writeNew(data, to: path)
        } catch {
            throw .bindingFailed(path: path, reason: error.underlying ?? error.detail)
        }
    }

    /// Removes a directory tree without following symlinks inside it.
    static func removeTree(_ path: String) throws(CatalogError) {
        guard let info = status(path) else {
            if errno == ENOENT { return }
            throw .removalFailed(path: path, reason: Errno.current.description)
        }
        if isDirectory(info) {
            for name in try names(in: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw .removalFailed(path: path, reason: Errno.current.description) }
        } else {
            guard unlink(path) == 0 else { throw .removalFailed(path: path, reason: Errno.current.description) }
        }
    }

    /// fsync of a directory, so a rename or removal in it survives a power loss.
    static func syncDirectory(_ path: String) throws(CatalogError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .removalFailed(path: path, reason: Errno.current.description) }
        defer { close(descriptor) }
        let status = SystemCall.retrying { fsync(descriptor) }
        guard status == 0 else { throw .removalFailed(path: path, reason: Errno.current.description) }
    }
}

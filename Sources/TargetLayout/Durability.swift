import CSystemShims
public import Foundation
import SystemCalls

/// fsync for files and directories: a backup is only recorded once its bytes and its directory
/// entries are on stable storage.
public enum Durability {
    public static func sync(_ path: String) throws(LayoutError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw LayoutError(
                code: .write, detail: "cannot open \(path) to sync it", underlying: Errno.current.description)
        }
        defer { close(descriptor) }
        let status = SystemCall.retrying { fsync(descriptor) }
        guard status == 0 else {
            throw LayoutError(code: .write, detail: "cannot sync \(path)", underlying: Errno.current.description)
        }
    }

    /// rename(2) that never replaces an existing `to` (RENAME_NOREPLACE): 0, or -1 with errno
    /// set, EEXIST when the name is taken. For the WAL archive, whose files are never replaced.
    public static func renameNoReplace(_ from: String, to: String) -> Int32 {
        pgsnap_rename_noreplace(from, to)
    }

    /// Writes `data` to a new file (never over an existing one, never through a symlink),
    /// mode 0600, and fsyncs it. A failed write removes the file, so no half-written record or
    /// binding is ever left to be read as whole.
    public static func writeNew(_ data: Data, to path: String) throws(LayoutError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw LayoutError(code: .write, detail: "cannot create \(path)", underlying: Errno.current.description)
        }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = written == data.count ? fsync(descriptor) : -1
        // The reason before close(2) and unlink(2) can change errno.
        let reason = written >= 0 && written < data.count ? "short write" : Errno.current.description
        close(descriptor)
        guard written == data.count, synced == 0 else {
            unlink(path)
            throw LayoutError(code: .write, detail: "cannot write \(path)", underlying: reason)
        }
    }
}

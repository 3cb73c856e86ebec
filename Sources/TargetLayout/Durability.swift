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

    /// Writes `data` to a new file (never over an existing one), mode 0600, and fsyncs it.
    public static func writeNew(_ data: Data, to path: String) throws(LayoutError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LayoutError(code: .write, detail: "cannot create \(path)", underlying: Errno.current.description)
        }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else {
            throw LayoutError(code: .write, detail: "cannot write \(path)", underlying: Errno.current.description)
        }
    }
}

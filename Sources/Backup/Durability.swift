import Foundation
import SystemCalls

/// fsync for files and directories: a backup is only recorded once its bytes and its directory
/// entries are on stable storage.
enum Durability {
    static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw BackupError(code: .target, detail: "cannot open \(path) to sync it", underlying: Errno.current.description)
        }
        defer { close(descriptor) }
        let status = SystemCall.retrying { fsync(descriptor) }
        guard status == 0 else {
            throw BackupError(code: .target, detail: "cannot sync \(path)", underlying: Errno.current.description)
        }
    }

    /// Writes `data` to a new file (never over an existing one), mode 0600, and fsyncs it.
    static func writeNew(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BackupError(code: .target, detail: "cannot create \(path)", underlying: Errno.current.description)
        }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else {
            throw BackupError(code: .target, detail: "cannot write \(path)", underlying: Errno.current.description)
        }
    }
}

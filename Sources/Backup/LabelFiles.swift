import Archive
import Foundation
import PostgresClient

/// `backup_label` and `tablespace_map`, which exist only once backup mode ends. With snapshots
/// they are known before the copy; without, the base archive's thread ends backup mode itself
/// after every other archive is complete and appends them, as pg_basebackup does.
final class LabelFiles: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var stopped: BackupMode.Stopped?
    private(set) var failure: (any Error)?
    /// Ends backup mode; set before the copy starts.
    var stopBackupMode: (() throws -> BackupMode.Stopped)?
    /// Owner of the files in the archive: the data directory's, so a restored server can read them.
    let uid: UInt32
    let gid: UInt32

    init(known: BackupMode.Stopped?, uid: UInt32, gid: UInt32) {
        stopped = known
        self.uid = uid
        self.gid = gid
    }

    func files() throws(ArchiveError) -> [GeneratedFile] {
        lock.lock()
        defer { lock.unlock() }
        if stopped == nil {
            do {
                guard let stopBackupMode else { throw BackupError(code: .notReady, detail: "backup mode cannot be stopped") }
                stopped = try stopBackupMode()
            } catch {
                failure = error
                throw ArchiveError(code: .readFailed, path: "backup_label", reason: "ending backup mode failed")
            }
        }
        guard let stopped else { return [] }
        var files = [GeneratedFile(path: "backup_label", contents: Array(stopped.labelFile.utf8), mode: 0o600, uid: uid, gid: gid)]
        if !stopped.tablespaceMap.isEmpty {
            files.append(GeneratedFile(path: "tablespace_map", contents: Array(stopped.tablespaceMap.utf8), mode: 0o600,
                                       uid: uid, gid: gid))
        }
        return files
    }
}

import Catalog
import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

/// The WAL archive of one target (docs/wal-archive.md): `archive-push` stores what
/// PostgreSQL's archiver hands it, `archive-get` gives it back to a recovering server. Both run
/// as the cluster's OS user, without the run lock, so nothing here needs root.
public struct WALArchive: Sendable {
    public let target: String
    public let directory: String
    /// The cluster the target is bound to: no other cluster's WAL is ever stored.
    public let systemIdentifier: UInt64
    let compressionLevel: Int

    /// Opens the archive of `target` for archive-push: it must exist, belong to this user and be
    /// closed to everyone else, and the target must be bound to a cluster.
    public static func forPush(target: String, compressionLevel: Int) throws(WALArchiveError) -> WALArchive {
        let directory = WALArchiveLayout.directory(target: target)
        let info = try directoryStatus(directory)
        guard info.st_uid == geteuid() else {
            throw WALArchiveError(
                code: .unusable,
                detail: "WAL archive \(directory) belongs to uid \(info.st_uid), not to this user (uid \(geteuid()))",
                underlying: nil)
        }
        guard info.st_mode & 0o077 == 0 else {
            throw WALArchiveError(
                code: .unusable, detail: "WAL archive \(directory) is open to group or others (mode 0700 expected)")
        }
        return WALArchive(
            target: target, directory: directory, systemIdentifier: try boundCluster(target),
            compressionLevel: compressionLevel)
    }

    /// Opens the archive for archive-get: only reading, by whoever restores.
    public static func forGet(target: String) throws(WALArchiveError) -> WALArchive {
        let directory = WALArchiveLayout.directory(target: target)
        _ = try directoryStatus(directory)
        return WALArchive(target: target, directory: directory, systemIdentifier: 0, compressionLevel: 0)
    }

    private static func directoryStatus(_ directory: String) throws(WALArchiveError) -> stat {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            throw WALArchiveError(
                code: .unusable, detail: "cannot use WAL archive \(directory)", underlying: Errno.current.description)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw WALArchiveError(code: .unusable, detail: "WAL archive \(directory) is not a directory")
        }
        return info
    }

    /// The target's cluster from `pgsnap.target`, which the cluster's user must be able to read.
    private static func boundCluster(_ target: String) throws(WALArchiveError) -> UInt64 {
        let binding: TargetBinding?
        do {
            binding = try TargetBinding.read(target: target)
        } catch {
            throw WALArchiveError(code: .unusable, detail: error.message)
        }
        guard let binding, let identifier = UInt64(binding.systemIdentifier) else {
            throw WALArchiveError(
                code: .unusable,
                detail: "target \(target) is not bound to a cluster yet, so no WAL can be checked against it",
                underlying: "run the first 'pgsnap backup' into it")
        }
        return identifier
    }

    /// The classified name of `fileName`, or a refusal.
    static func classify(_ fileName: String) throws(WALArchiveError) -> WALArchiveName {
        guard let name = WALArchiveName(fileName) else {
            throw WALArchiveError(code: .refused, detail: "'\(fileName)' is not the name of a WAL file")
        }
        return name
    }
}

internal import Catalog
internal import Foundation
public import TargetLayout

/// What the metrics say about a target's backups, recomputed from the catalog on every write
/// (so a prune, a removed directory or a backup another host took is reflected, which a copy
/// of the previous file's numbers would not be).
public struct TargetFigures: Sendable, Equatable {
    /// The cluster the target belongs to (its system identifier), "" when not yet known.
    public var cluster: String
    public var completeBackups: Int
    /// The newest complete backup's record, when it still reads and passes its checksum.
    public var newest: BackupRecord?
    /// The newest segment in the WAL archive, when the target has one.
    public var newestWAL: NewestWAL?

    public struct NewestWAL: Sendable, Equatable {
        public var segment: String
        /// When it was stored (its file's mtime), seconds since the epoch.
        public var storedAt: Double

        public var timeline: UInt32? { UInt32(segment.prefix(8), radix: 16) }
    }

    public init(cluster: String, completeBackups: Int, newest: BackupRecord?, newestWAL: NewestWAL?) {
        self.cluster = cluster
        self.completeBackups = completeBackups
        self.newest = newest
        self.newestWAL = newestWAL
    }

    /// The figures of `target`, or nil when its catalog cannot be read (a missing target: the
    /// command has already said so; the per-command lines are still written).
    public static func read(target: String) -> TargetFigures? {
        guard let catalog = try? BackupCatalog(target: target, lockPath: nil) else { return nil }
        let complete = catalog.entries.filter { $0.status == .complete }
        var boundAt: Date?
        if case .bound(let binding) = catalog.owner { boundAt = binding.boundAt }
        let newest = complete.first.flatMap {
            try? StoredBackup.readCheckedRecord(directory: $0.path, id: $0.id, boundAt: boundAt).record
        }
        return TargetFigures(
            cluster: catalog.owner.systemIdentifier ?? "", completeBackups: complete.count, newest: newest,
            newestWAL: newestSegment(in: WALArchiveLayout.directory(target: target)))
    }

    /// The highest segment name stored: timeline first, then position, so the highest name is
    /// the newest WAL. Only the newest log-file directory that holds a segment is read.
    static func newestSegment(in archive: String) -> NewestWAL? {
        guard let directories = try? FileManager.default.contentsOfDirectory(atPath: archive) else { return nil }
        for directory in directories.filter({ isHex($0, count: 16) }).sorted(by: >) {
            let path = archive + "/" + directory
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
            let segments = names.filter {
                $0.hasSuffix(WALArchiveLayout.storedSuffix)
                    && isHex(String($0.dropLast(WALArchiveLayout.storedSuffix.count)), count: 24)
            }
            guard let newest = segments.max() else { continue }
            var info = stat()
            guard lstat(path + "/" + newest, &info) == 0 else { continue }
            let storedAt = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
            return NewestWAL(segment: String(newest.dropLast(WALArchiveLayout.storedSuffix.count)), storedAt: storedAt)
        }
        return nil
    }

    private static func isHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    }
}

public import Foundation
internal import TargetLayout

/// Every run in a target, newest first, read from the directory names and `backup.json` files
/// alone: the target is the catalog, so there is no index to lose or fall out of step.
///
/// Only names pgsnap creates count (`<id>`, `<id>.partial`, `<id>.failed`, `<id>.removing`);
/// anything else an admin keeps in the target is ignored.
public struct BackupCatalog: Sendable {
    public let target: String
    /// Newest first (IDs are UTC start times, so they sort by age).
    public let entries: [CatalogEntry]
    /// `<id>.removing` directories of a prune that was interrupted: half-deleted, never listed,
    /// removed by the next prune.
    public let interruptedRemovals: [String]
    /// The cluster the target's backups are of (docs/target.md).
    public let owner: TargetOwner

    /// Reads the catalog of `target`.
    ///
    /// - Parameter lockPath: the run lock (`<run_directory>/pgsnap.lock`), to tell a running
    ///   backup's `.partial` from a crashed one; nil when the caller holds the lock itself, so
    ///   no other run can be in progress.
    public init(target: String, lockPath: String?) throws(CatalogError) {
        self.target = target
        // Read first: it decides whether a record without a checksum is believed.
        let binding = try TargetBinding.read(target: target)
        var entries: [CatalogEntry] = []
        var removals: [String] = []
        for name in try TargetFiles.names(in: target) {
            guard let parsed = EntryName(name) else { continue }
            let path = target + "/" + name
            guard let info = TargetFiles.status(path), TargetFiles.isDirectory(info) else { continue }
            switch parsed.suffix {
            case .removing:
                removals.append(path)
            case .partial:
                entries.append(CatalogEntry(id: parsed.id, name: name, path: path, status: .partial, record: nil))
            case .failed:
                let record = try Self.record(in: path, binding: binding)
                entries.append(CatalogEntry(id: parsed.id, name: name, path: path, status: .failed, record: record))
            case .none:
                let record = try Self.record(in: path, binding: binding)
                let complete = record.map { $0.status == "complete" && $0.id == parsed.id } ?? false
                let status: CatalogEntry.Status =
                    !complete ? .incomplete : record?.checksum == .mismatch ? .damaged : .complete
                entries.append(CatalogEntry(id: parsed.id, name: name, path: path, status: status, record: record))
            }
        }
        owner = TargetOwner.of(
            binding: binding,
            completeRecords: entries.filter { $0.status == .complete }.compactMap(\.record))
        // Another cluster's backup is never `latest`, never counted by retention, never restored.
        if let cluster = owner.systemIdentifier {
            for index in entries.indices where entries[index].status == .complete {
                if let other = entries[index].record?.systemIdentifier, other != cluster {
                    entries[index].status = .foreign
                }
            }
        }
        entries.sort { ($0.id, $0.name) > ($1.id, $1.name) }
        // A run removes older partial directories before it creates its own, so while the lock
        // is held only the newest partial can be the live one.
        if let lockPath, let newest = entries.firstIndex(where: { $0.status == .partial }),
            RunLockProbe.isHeld(lockPath)
        {
            entries[newest].status = .running
        }
        self.entries = entries
        interruptedRemovals = removals.sorted()
    }

    /// The newest complete backup, what `latest` means.
    public var latestComplete: CatalogEntry? {
        entries.first { $0.status == .complete }
    }

    /// Refuses what must pick among the target's backups (`latest`, retention) while they are
    /// of several clusters and no binding says which one is the target's.
    public func requireOneCluster() throws(CatalogError) {
        if case .mixed(let identifiers) = owner { throw .mixedClusters(target: target, systemIdentifiers: identifiers) }
    }

    /// The run with this ID (or `latest`), whatever its status; a complete backup wins over
    /// a leftover with the same ID.
    public func entry(_ id: String) throws(CatalogError) -> CatalogEntry {
        if id == "latest" {
            try requireOneCluster()
            guard let latest = latestComplete else { throw .noCompleteBackup(target: target) }
            return latest
        }
        let matches = entries.filter { $0.id == id }
        let backups: Set<CatalogEntry.Status> = [.complete, .foreign, .damaged]
        guard let entry = matches.first(where: { backups.contains($0.status) }) ?? matches.first else {
            throw .unknownBackup(id: id, target: target)
        }
        return entry
    }

    /// The complete backup with this ID (or `latest`): exit 9 for anything else, naming it.
    public func completeBackup(_ id: String) throws(CatalogError) -> CatalogEntry {
        let entry = try entry(id)
        if entry.status == .foreign, let owner = owner.systemIdentifier {
            throw .foreignBackup(id: entry.id, systemIdentifier: entry.record?.systemIdentifier ?? "?", owner: owner)
        }
        guard entry.status == .complete else {
            let why =
                entry.status == .incomplete
                ? Self.recordProblem(in: entry.path, id: entry.id)
                : entry.status == .damaged ? Self.damageProblem(of: entry) : nil
            throw .notComplete(id: entry.id, status: entry.status.rawValue, error: entry.record?.error ?? why)
        }
        return entry
    }

    /// The raw `backup.json` of an entry, so `info` can show every key, also ones this module
    /// does not decode.
    public func recordData(of entry: CatalogEntry) throws(CatalogError) -> Data {
        let path = entry.path + "/" + BackupFiles.record
        guard let data = try TargetFiles.contents(of: path) else {
            throw .notComplete(id: entry.id, status: entry.status.rawValue, error: nil)
        }
        return data
    }

    /// The files of a backup besides `backup.json`, by name, with their sizes.
    public func files(of entry: CatalogEntry) throws(CatalogError) -> [ArchiveFile] {
        var files: [ArchiveFile] = []
        for name in try TargetFiles.names(in: entry.path) where name != BackupFiles.record {
            guard let info = TargetFiles.status(entry.path + "/" + name), TargetFiles.isRegularFile(info) else {
                continue
            }
            files.append(ArchiveFile(name: name, bytes: UInt64(info.st_size)))
        }
        return files.sorted { $0.name < $1.name }
    }

    /// Why a damaged backup's record is not believed, and what to run.
    private static func damageProblem(of entry: CatalogEntry) -> String {
        let data = (try? TargetFiles.contents(of: entry.path + "/" + BackupFiles.record)) ?? Data()
        return RecordChecksum.damageDescription(of: data) + "; run 'pgsnap verify \(entry.id)'"
    }

    /// Why `<id>/backup.json` makes no complete record, naming the key where it does not decode.
    private static func recordProblem(in directory: String, id: String) -> String? {
        let path = directory + "/" + BackupFiles.record
        if let info = TargetFiles.status(path), info.st_size > RecordChecksum.maximumRecordBytes {
            return
                "backup.json is larger than \(RecordChecksum.maximumRecordBytes >> 20) MiB, far more than pgsnap writes"
        }
        guard let data = try? TargetFiles.contents(of: path) else { return "backup.json cannot be read" }
        do {
            let record = try CatalogRecord.decode(data)
            if record.id != id { return "backup.json describes another backup" }
            return "backup.json has status '\(record.status.prefix(40))'"
        } catch {
            return DecodeFailure.describe(error, file: BackupFiles.record)
        }
    }

    /// A record that does not parse is no record: the entry is then incomplete (or a failed
    /// run without details), never an error that hides the rest of the catalog.
    private static func record(in directory: String, binding: TargetBinding?) throws(CatalogError) -> CatalogRecord? {
        let path = directory + "/" + BackupFiles.record
        // One oversized record makes its entry incomplete, not the whole listing unreadable.
        if let info = TargetFiles.status(path), info.st_size > RecordChecksum.maximumRecordBytes { return nil }
        guard let data = try TargetFiles.contents(of: path) else { return nil }
        return try? CatalogRecord.decode(data, boundAt: binding?.boundAt)
    }
}

public import Archive
public import Backup
internal import Catalog
internal import Foundation

/// A complete backup as it sits in the target: its record, its checked manifest and the
/// archives it consists of. Opening one reads only backup.json and backup_manifest.
public struct StoredBackup: Sendable {
    /// One archive and where its members belong.
    public struct Archive: Sendable, Equatable {
        public enum Role: Sendable, Equatable {
            case dataDirectory
            case tablespace(oid: UInt32)
            case wal
        }

        public var name: String
        public var role: Role
        public var path: String

        /// The prefix that turns a member's name into its manifest path.
        public var manifestPrefix: RawPath? {
            switch role {
            case .dataDirectory: return RawPath(bytes: [])
            case .tablespace(let oid): return RawPath("pg_tblspc/\(oid)/")
            case .wal: return nil
            }
        }
    }

    public var directory: String
    public var record: BackupRecord
    public var manifestBytes: [UInt8]
    public var manifest: BackupManifest
    public var archives: [Archive]

    /// Opens `id` (or `latest`) in `target`, checking the manifest's own checksum and that every
    /// archive backup.json names is present.
    public static func open(target: String, id: String) throws(RestoreError) -> StoredBackup {
        let resolved = try resolve(id, in: target)
        let directory = target + "/" + resolved
        let record = try readRecord(directory: directory, id: resolved)
        let manifestPath = directory + "/backup_manifest"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw RestoreError(code: .damaged, detail: "backup \(resolved) has no readable backup_manifest (\(manifestPath))")
        }
        let manifestBytes = [UInt8](data)
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.parse(manifestBytes)
        } catch {
            throw RestoreError(code: .damaged, detail: "backup \(resolved): backup_manifest \(error.description)")
        }
        let archives = try archives(of: record, in: directory)
        return StoredBackup(directory: directory, record: record, manifestBytes: manifestBytes, manifest: manifest,
                            archives: archives)
    }

    /// The archives backup.json names, with their roles; pg_wal.tar.zst always among them.
    public static func archives(of record: BackupRecord, in directory: String) throws(RestoreError) -> [Archive] {
        var archives: [Archive] = []
        for volume in record.volumes {
            let role: Archive.Role
            if volume.archive == "base.tar.zst" {
                role = .dataDirectory
            } else if volume.archive == "pg_wal.tar.zst" {
                role = .wal
            } else if let oid = UInt32(volume.archive.replacingOccurrences(of: ".tar.zst", with: "")) {
                role = .tablespace(oid: oid)
            } else {
                throw RestoreError(code: .damaged, detail: "backup \(record.id): backup.json names an unknown archive \(volume.archive)")
            }
            archives.append(Archive(name: volume.archive, role: role, path: directory + "/" + volume.archive))
        }
        if !archives.contains(where: { $0.role == .wal }) {
            archives.append(Archive(name: "pg_wal.tar.zst", role: .wal, path: directory + "/pg_wal.tar.zst"))
        }
        guard archives.contains(where: { $0.role == .dataDirectory }) else {
            throw RestoreError(code: .damaged, detail: "backup \(record.id): backup.json names no base.tar.zst")
        }
        return archives
    }

    /// One progress row per archive whose uncompressed size backup.json records, for restore's
    /// and verify's terminal progress.
    public static func progressVolumes(_ archives: [Archive], record: BackupRecord, progress: [ArchiveProgress])
        -> [ProgressReporter.Volume]
    {
        zip(archives, progress).compactMap { archive, progress in
            let total = record.volumes.first { $0.archive == archive.name }?.bytesRead
            return total.map { ProgressReporter.Volume(name: archive.name, total: $0, progress: progress) }
        }
    }

    /// The archives that are not in the directory.
    public var missingArchives: [Archive] {
        archives.filter { !FileManager.default.fileExists(atPath: $0.path) }
    }

    public static func readRecord(directory: String, id: String) throws(RestoreError) -> BackupRecord {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RestoreError(code: .notFound, detail: "no backup \(id) in \(URL(fileURLWithPath: directory).deletingLastPathComponent().path)")
        }
        guard let data = FileManager.default.contents(atPath: directory + "/backup.json") else {
            throw RestoreError(code: .notFound, detail: "backup \(id) is not complete: \(directory)/backup.json is missing")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let record = try decoder.decode(BackupRecord.self, from: data)
            guard record.id == id else {
                throw RestoreError(code: .damaged, detail: "backup \(id): backup.json describes backup \(record.id)")
            }
            return record
        } catch let error as RestoreError {
            throw error
        } catch {
            throw RestoreError(code: .damaged, detail: "backup \(id): backup.json cannot be read", underlying: "\(error)")
        }
    }

    /// The ID of the complete backup `id` names (`latest` included), through the catalog, so a
    /// failed or crashed run is refused with what the catalog knows about it.
    public static func resolve(_ id: String, in target: String) throws(RestoreError) -> String {
        do {
            let catalog = try BackupCatalog(target: target, lockPath: nil)
            return try catalog.completeBackup(id).id
        } catch {
            throw RestoreError(code: error.exitStatus == .damaged ? .notFound : .target, detail: error.message)
        }
    }
}

public import Archive
public import Backup
public import Catalog
internal import Foundation
public import PostgresFormat

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
    /// Whether backup.json carried its checksum (a mismatch is never opened).
    public var recordChecksum: RecordChecksum.Status
    public var manifestBytes: [UInt8]
    public var manifest: BackupManifest
    public var archives: [Archive]

    /// Opens `id` (or `latest`) in `target`, checking backup.json's checksum and fields, the
    /// manifest's own checksum and its agreement with backup.json, and the archives backup.json
    /// names (`BackupContents`).
    public static func open(target: String, id: String) throws(RestoreError) -> StoredBackup {
        let resolved = try resolve(id, in: target)
        let directory = target + "/" + resolved
        let (record, checksum) = try readCheckedRecord(directory: directory, id: resolved)
        let manifestPath = directory + "/backup_manifest"
        let manifestBytes: [UInt8]
        switch BoundedFile.read(manifestPath, limit: BackupContents.maximumManifestBytes) {
        case .success(let bytes): manifestBytes = bytes
        case .failure(let failure):
            throw RestoreError(code: .damaged, detail: "backup \(resolved): backup_manifest \(failure.description) (\(manifestPath))")
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.parse(manifestBytes)
        } catch {
            throw RestoreError(code: .damaged, detail: "backup \(resolved): backup_manifest \(error.description)")
        }
        if let problem = BackupCrossCheck(record: record, manifest: manifest).manifestProblems().first {
            throw RestoreError(code: .damaged, detail: "backup \(resolved): \(problem)")
        }
        let archives = try archives(of: record, in: directory)
        return StoredBackup(directory: directory, record: record, recordChecksum: checksum, manifestBytes: manifestBytes,
                            manifest: manifest, archives: archives)
    }

    /// The archives backup.json names, with their roles; pg_wal.tar.zst always among them.
    public static func archives(of record: BackupRecord, in directory: String) throws(RestoreError) -> [Archive] {
        try BackupContents.archives(of: record, in: directory).get()
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
        try readCheckedRecord(directory: directory, id: id).record
    }

    /// backup.json, refused (exit 9) when it fails its checksum, does not decode (the message
    /// names the key) or breaks a rule of `BackupContents`; with whether it had a checksum at all.
    public static func readCheckedRecord(directory: String, id: String) throws(RestoreError)
        -> (record: BackupRecord, checksum: RecordChecksum.Status)
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RestoreError(code: .notFound, detail: "no backup \(id) in \(URL(fileURLWithPath: directory).deletingLastPathComponent().path)")
        }
        let data: Data
        switch BoundedFile.read(directory + "/backup.json", limit: RecordChecksum.maximumRecordBytes) {
        case .success(let bytes): data = Data(bytes)
        case .failure(.missing):
            throw RestoreError(code: .notFound, detail: "backup \(id) is not complete: \(directory)/backup.json is missing")
        case .failure(let failure):
            throw RestoreError(code: .damaged, detail: "backup \(id): backup.json \(failure.description)")
        }
        // The binding decides whether a record without a checksum may be an older pgsnap's.
        let target = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        let checksum = RecordChecksum.status(of: data, binding: try? TargetBinding.read(target: target))
        guard checksum != .mismatch else {
            throw RestoreError(code: .damaged, detail: "backup \(id): \(RecordChecksum.damageDescription(of: data))")
        }
        let record: BackupRecord
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            record = try decoder.decode(BackupRecord.self, from: data)
        } catch {
            throw RestoreError(code: .damaged, detail: "backup \(id): \(DecodeFailure.describe(error, file: "backup.json"))")
        }
        guard record.id == id else {
            throw RestoreError(code: .damaged, detail: "backup \(id): backup.json describes backup \(BackupContents.quoted(record.id))")
        }
        if let problem = BackupContents.recordProblems(record).first {
            throw RestoreError(code: .damaged, detail: "backup \(id): \(problem)")
        }
        return (record, checksum)
    }

    /// The ID of the complete backup `id` names (`latest` included), through the catalog, so a
    /// failed or crashed run (or a mixed target) is refused with what the catalog knows about
    /// it, and its hint.
    public static func resolve(_ id: String, in target: String) throws(RestoreError) -> String {
        do {
            let catalog = try BackupCatalog(target: target, lockPath: nil)
            // A damaged backup named by its ID is opened, so that the record check (restore's
            // refusal, verify's report) says what is wrong with it; `latest` never names one.
            if id != "latest", let entry = try? catalog.entry(id), entry.status == .damaged { return entry.id }
            return try catalog.completeBackup(id).id
        } catch {
            throw RestoreError(code: error.exitStatus == .damaged ? .notFound : .target, detail: error.message,
                               hint: error.hint)
        }
    }
}

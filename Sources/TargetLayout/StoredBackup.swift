public import Archive
public import Foundation
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

        public init(name: String, role: Role, path: String) {
            self.name = name
            self.role = role
            self.path = path
        }

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

    /// Opens the backup in `directory` (ID `id`), checking backup.json's checksum and fields,
    /// the manifest's own checksum and its agreement with backup.json, and the archives
    /// backup.json names (`BackupContents`). `boundAt` is the target binding's time
    /// (`RecordChecksum.status(of:boundAt:)`).
    public static func open(directory: String, id: String, boundAt: Date?) throws(LayoutError) -> StoredBackup {
        let (record, checksum) = try readCheckedRecord(directory: directory, id: id, boundAt: boundAt)
        let manifestPath = directory + "/" + BackupFiles.manifest
        let manifestBytes: [UInt8]
        switch BoundedFile.read(manifestPath, limit: BackupContents.maximumManifestBytes) {
        case .success(let bytes): manifestBytes = bytes
        case .failure(let failure):
            throw LayoutError(
                code: .damaged, detail: "backup \(id): backup_manifest \(failure.description) (\(manifestPath))")
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.parse(manifestBytes)
        } catch {
            throw LayoutError(code: .damaged, detail: "backup \(id): backup_manifest \(error.description)")
        }
        if let problem = BackupCrossCheck(record: record, manifest: manifest).manifestProblems().first {
            throw LayoutError(code: .damaged, detail: "backup \(id): \(problem)")
        }
        let archives = try archives(of: record, in: directory)
        return StoredBackup(
            directory: directory, record: record, recordChecksum: checksum, manifestBytes: manifestBytes,
            manifest: manifest, archives: archives)
    }

    /// The archives backup.json names, with their roles; pg_wal.tar.zst always among them.
    public static func archives(of record: BackupRecord, in directory: String) throws(LayoutError) -> [Archive] {
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

    /// backup.json, refused (exit 9) when it fails its checksum, does not decode (the message
    /// names the key) or breaks a rule of `BackupContents`; with whether it had a checksum at all.
    /// `boundAt` decides whether a record without a checksum may be an older pgsnap's.
    public static func readCheckedRecord(directory: String, id: String, boundAt: Date?) throws(LayoutError)
        -> (record: BackupRecord, checksum: RecordChecksum.Status)
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LayoutError(
                code: .notFound,
                detail: "no backup \(id) in \(URL(fileURLWithPath: directory).deletingLastPathComponent().path)")
        }
        let data: Data
        switch BoundedFile.read(directory + "/" + BackupFiles.record, limit: RecordChecksum.maximumRecordBytes) {
        case .success(let bytes): data = Data(bytes)
        case .failure(.missing):
            throw LayoutError(
                code: .notFound, detail: "backup \(id) is not complete: \(directory)/backup.json is missing")
        case .failure(let failure):
            throw LayoutError(code: .damaged, detail: "backup \(id): backup.json \(failure.description)")
        }
        let checksum = RecordChecksum.status(of: data, boundAt: boundAt)
        guard checksum != .mismatch else {
            throw LayoutError(code: .damaged, detail: "backup \(id): \(RecordChecksum.damageDescription(of: data))")
        }
        let record: BackupRecord
        do {
            record = try RecordCoding.decoder().decode(BackupRecord.self, from: data)
        } catch {
            throw LayoutError(
                code: .damaged, detail: "backup \(id): \(DecodeFailure.describe(error, file: BackupFiles.record))")
        }
        guard record.id == id else {
            throw LayoutError(
                code: .damaged, detail: "backup \(id): backup.json describes backup \(BackupContents.quoted(record.id))"
            )
        }
        if let problem = BackupContents.recordProblems(record).first {
            throw LayoutError(code: .damaged, detail: "backup \(id): \(problem)")
        }
        return (record, checksum)
    }
}

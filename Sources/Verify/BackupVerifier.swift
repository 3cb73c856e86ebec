internal import Archive
internal import Catalog
internal import Foundation
internal import PostgresFormat
public import TargetLayout

/// Checks stored backups without restoring them: every archive decompressed (all at once, one
/// thread each), every file's size and checksum against `backup_manifest`, the manifest's own
/// checksum, nothing missing and nothing extra, complete zstd frames, and WAL covering the
/// backup from start to end.
///
/// It reports every problem it finds rather than stopping at the first, because the question a
/// DBA asks is "which backups can I trust, and what is wrong with the others".
public struct BackupVerifier: Sendable {
    public let target: String
    /// Progress lines for a terminal; nil when nobody watches.
    public var onProgress: (@Sendable (String) -> Void)?

    public init(target: String) {
        self.target = target
    }

    /// The complete backups in the target, oldest first (what `verify --all` checks).
    public func backupIDs() throws(LayoutError) -> [String] {
        do {
            return try BackupCatalog(target: target, lockPath: nil).entries.filter {
                $0.restorable || $0.status == .damaged
            }.map(\.id).sorted()
        } catch {
            throw LayoutError(code: .target, detail: error.message)
        }
    }

    /// Verifies one backup (an ID or `latest`); throws only when there is no such complete backup.
    public func verify(id requested: String) throws(LayoutError) -> VerifyReport {
        try verify(listedID: try StoredBackup.resolve(requested, in: target))
    }

    /// Verifies a backup `backupIDs()` listed: already resolved through the catalog, so
    /// `verify --all` reads the catalog once, not once per backup.
    public func verify(listedID id: String) throws(LayoutError) -> VerifyReport {
        let started = Date()
        let directory = target + "/" + id
        var report = VerifyReport(id: id)
        let record: BackupRecord
        do {
            let (checked, checksum) = try StoredBackup.readCheckedRecord(directory: directory, id: id)
            record = checked
            if checksum == .absent {
                report.warnings.append(
                    "backup.json has no checksum (written by an older pgsnap): its fields are cross-checked, but an edit cannot be detected"
                )
            }
        } catch  where error.code == .notFound {
            throw error
        } catch {
            report.problems.append(
                VerifyProblem(kind: .recordInvalid, path: BackupFiles.record, message: error.message))
            return report
        }
        if record.kind == BackupRecord.externalKind {
            return verifyExternal(record, directory: directory, report: report, started: started)
        }
        let archives: [StoredBackup.Archive]
        do {
            archives = try StoredBackup.archives(of: record, in: directory)
        } catch {
            report.problems.append(
                VerifyProblem(kind: .recordInvalid, path: BackupFiles.record, message: error.message))
            return report
        }
        let manifest = readManifest(directory: directory, problems: &report.problems)
        report.problems += BackupCrossCheck(record: record, manifest: manifest).manifestProblems().map {
            VerifyProblem(kind: .recordInvalid, path: BackupFiles.record, message: $0)
        }
        report.problems += unlistedFiles(directory: directory, archives: archives)
        let index = manifest.map(ManifestIndex.init)
        let oids = Set(record.tablespaces.map(\.oid))
        let progress = archives.map { _ in ArchiveProgress() }
        let reporter = onProgress.map { sink in
            ProgressReporter(
                volumes: StoredBackup.progressVolumes(archives, record: record, progress: progress), sink: sink)
        }
        reporter?.startReporting()
        let jobs: [@Sendable () -> ArchiveCheck.Outcome] = zip(archives, progress).map { archive, progress in
            let check = ArchiveCheck(archive: archive, index: index, tablespaceOIDs: oids, progress: progress)
            return { check.run() }
        }
        let outcomes = ArchiveThreads.run(jobs)
        reporter?.stopReporting()

        var seen: Set<RawPath> = []
        for outcome in outcomes {
            report.problems += outcome.problems
            report.files += outcome.files
            report.bytes += outcome.bytes
            report.compressedBytes += outcome.compressedBytes
            seen.formUnion(outcome.seen)
        }
        report.problems += identityProblems(record, manifest: manifest, archives: archives, outcomes: outcomes)
        if let manifest {
            report.problems += missingFiles(manifest, seen: seen, archives: archives, outcomes: outcomes)
        }
        report.problems += walProblems(record, manifest: manifest, archives: archives, outcomes: outcomes)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    // MARK: - Steps

    /// backup.json against backup_label, tablespace_map and pg_control as base.tar.zst holds them.
    private func identityProblems(
        _ record: BackupRecord, manifest: BackupManifest?, archives: [StoredBackup.Archive],
        outcomes: [ArchiveCheck.Outcome]
    ) -> [VerifyProblem] {
        guard let base = archives.firstIndex(where: { $0.role == .dataDirectory }), outcomes[base].complete else {
            return []
        }
        let held = outcomes[base].heldFiles
        let check = BackupCrossCheck(
            record: record, manifest: manifest, label: held["backup_label"],
            tablespaceMap: held["tablespace_map"], control: held["global/pg_control"])
        let name = archives[base].name
        return check.labelProblems().map {
            VerifyProblem(kind: .recordInvalid, archive: name, path: "backup_label", message: $0)
        }
            + check.mapProblems().map {
                VerifyProblem(kind: .recordInvalid, archive: name, path: "tablespace_map", message: $0)
            }
            + check.controlProblems().map {
                VerifyProblem(kind: .recordInvalid, archive: name, path: "global/pg_control", message: $0)
            }
    }

    /// The WAL archive's segments: all there, and all this cluster's and timelines' (backup.json's
    /// system identifier, whatever the manifest version).
    private func walProblems(
        _ record: BackupRecord, manifest: BackupManifest?, archives: [StoredBackup.Archive],
        outcomes: [ArchiveCheck.Outcome]
    ) -> [VerifyProblem] {
        guard let wal = archives.firstIndex(where: { $0.role == .wal }), outcomes[wal].complete else { return [] }
        let control = archives.firstIndex { $0.role == .dataDirectory }.flatMap {
            outcomes[$0].heldFiles["global/pg_control"]
        }
        let check = BackupCrossCheck(record: record, manifest: manifest, control: control)
        let span = LSN(parsing: record.startLSN).flatMap { start in
            LSN(parsing: record.stopLSN).map { (start: start.value, stop: $0.value) }
        }
        let coverage = WALCoverage(
            ranges: manifest?.walRanges ?? [], systemIdentifier: check.systemIdentifier,
            timelines: check.timelines, recordedSegments: record.walSegments, recordedSpan: span)
        return coverage.problems(
            headers: outcomes[wal].walHeaders, sizes: outcomes[wal].walSizes, archive: archives[wal].name)
    }

    private func readManifest(directory: String, problems: inout [VerifyProblem]) -> BackupManifest? {
        let data: [UInt8]
        switch BoundedFile.read(directory + "/" + BackupFiles.manifest, limit: BackupContents.maximumManifestBytes) {
        case .success(let bytes): data = bytes
        case .failure(.missing):
            problems.append(
                VerifyProblem(
                    kind: .manifestMissing, path: "backup_manifest",
                    message: "backup_manifest is missing: file sizes and checksums cannot be checked"))
            return nil
        case .failure(let failure):
            problems.append(
                VerifyProblem(
                    kind: .manifestInvalid, path: "backup_manifest",
                    message: "backup_manifest \(failure.description)"))
            return nil
        }
        do {
            return try BackupManifest.parse(data)
        } catch .checksumMismatch(let recorded, let computed) {
            problems.append(
                VerifyProblem(
                    kind: .manifestChecksum, path: "backup_manifest",
                    message:
                        "backup_manifest fails its own checksum (records \(recorded), contents hash to \(computed)): it was edited or damaged"
                ))
        } catch {
            problems.append(
                VerifyProblem(
                    kind: .manifestInvalid, path: "backup_manifest", message: "backup_manifest \(error.description)"))
        }
        return nil
    }

    /// Files in the backup directory that backup.json does not account for: a restore would
    /// ignore them, so whatever they hold is not part of the backup.
    private func unlistedFiles(directory: String, archives: [StoredBackup.Archive]) -> [VerifyProblem] {
        let known = Set(archives.map(\.name) + [BackupFiles.record, BackupFiles.manifest])
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !known.contains($0) }.sorted().map { name in
            VerifyProblem(
                kind: .fileUnexpected, archive: name, path: name,
                message: "\(name) is in the backup directory but backup.json does not list it; a restore ignores it")
        }
    }

    /// Manifest files no archive held; files of an archive that could not be read to its end
    /// are not reported again, its own problem already covers them.
    private func missingFiles(
        _ manifest: BackupManifest, seen: Set<RawPath>, archives: [StoredBackup.Archive],
        outcomes: [ArchiveCheck.Outcome]
    ) -> [VerifyProblem] {
        var unreadable: [RawPath] = []
        var baseReadable = true
        for (archive, outcome) in zip(archives, outcomes) where !outcome.complete {
            switch archive.role {
            case .dataDirectory: baseReadable = false
            case .tablespace: if let prefix = archive.manifestPrefix { unreadable.append(prefix) }
            case .wal: break
            }
        }
        let tablespacePrefixes = archives.compactMap { archive -> RawPath? in
            if case .tablespace = archive.role { return archive.manifestPrefix }
            return nil
        }
        var problems: [VerifyProblem] = []
        for record in manifest.files where !seen.contains(record.path) {
            let owner = tablespacePrefixes.first { record.path.hasPrefix($0) }
            if let owner, unreadable.contains(owner) { continue }
            if owner == nil && !baseReadable { continue }
            let archive =
                owner.flatMap { prefix in archives.first { $0.manifestPrefix == prefix }?.name }
                ?? BackupFiles.baseArchive
            problems.append(
                VerifyProblem(
                    kind: .fileMissing, archive: archive, path: record.path.description,
                    message: "\(record.path) is in backup_manifest but not in \(archive)"))
        }
        return problems
    }
}

internal import Archive
internal import ExitStatus
internal import Foundation
internal import PostgresFormat
internal import TargetLayout

/// An `external` record (`pgsnap thaw`): pgsnap holds the WAL of the backup-mode window,
/// `backup_label` and `tablespace_map`, never the data, which is in the storage snapshot.
extension BackupVerifier {
    func verifyExternal(_ record: BackupRecord, directory: String, report: VerifyReport, started: Date)
        -> VerifyReport
    {
        var report = report
        let snapshot = record.external?.snapshotName.map { " (\(Echo.value($0)))" } ?? ""
        report.warnings.append(
            "external record: the data is in the storage snapshot\(snapshot), which pgsnap does not hold and cannot check; only its WAL, backup_label and tablespace_map were checked"
        )
        let wal = StoredBackup.Archive(
            name: BackupFiles.walArchive, role: .wal, path: directory + "/" + BackupFiles.walArchive)
        let outcome = ArchiveCheck(archive: wal, index: nil, tablespaceOIDs: [], progress: ArchiveProgress()).run()
        report.problems += outcome.problems
        report.files += outcome.files
        report.bytes += outcome.bytes
        report.compressedBytes += outcome.compressedBytes
        let label = readFile(BackupFiles.backupLabel, in: directory, problems: &report.problems)
        let map = readFile(BackupFiles.tablespaceMap, in: directory, problems: &report.problems)
        let check = BackupCrossCheck(record: record, manifest: nil, label: label, tablespaceMap: map)
        report.problems += check.labelProblems().map {
            VerifyProblem(kind: .recordInvalid, path: BackupFiles.backupLabel, message: $0)
        }
        report.problems += check.mapProblems().map {
            VerifyProblem(kind: .recordInvalid, path: BackupFiles.tablespaceMap, message: $0)
        }
        report.problems += externalWALProblems(record, outcome: outcome)
        let known: Set = [
            BackupFiles.record, BackupFiles.walArchive, BackupFiles.backupLabel, BackupFiles.tablespaceMap,
        ]
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        where !known.contains(name) {
            report.problems.append(
                VerifyProblem(
                    kind: .fileUnexpected, archive: name, path: name,
                    message: "\(name) is in the backup directory but an external record holds no such file"))
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// The window's segments, from the record's own start and stop (there is no manifest).
    private func externalWALProblems(_ record: BackupRecord, outcome: ArchiveCheck.Outcome) -> [VerifyProblem] {
        guard outcome.complete, let start = LSN(parsing: record.startLSN), let stop = LSN(parsing: record.stopLSN)
        else { return [] }
        let check = BackupCrossCheck(record: record, manifest: nil)
        let coverage = WALCoverage(
            ranges: [WALRange(timeline: record.timeline, start: start, end: stop)],
            systemIdentifier: check.systemIdentifier, timelines: check.timelines,
            recordedSegments: record.walSegments, recordedSpan: (start.value, stop.value))
        return coverage.problems(headers: outcome.walHeaders, sizes: outcome.walSizes, archive: BackupFiles.walArchive)
    }

    private func readFile(_ name: String, in directory: String, problems: inout [VerifyProblem]) -> [UInt8]? {
        switch BoundedFile.read(directory + "/" + name, limit: BackupContents.maximumHeldFileBytes) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            problems.append(
                VerifyProblem(kind: .recordInvalid, path: name, message: "\(name) \(failure.description)"))
            return nil
        }
    }
}

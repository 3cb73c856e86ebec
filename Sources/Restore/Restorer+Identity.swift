internal import Archive

extension Restorer {
    /// 6b. That what was extracted is this backup's: backup_label, tablespace_map and
    /// pg_control agree with backup.json, and every WAL segment is of its cluster and timelines
    /// (`BackupCrossCheck`, `WALSegmentHeader`, the checks verify makes). Before pg_control and
    /// backup_label exist, so a refused restore leaves nothing a server would start from.
    func checkIdentity(_ backup: StoredBackup, _ extracted: Extracted) throws(RestoreError) {
        let held = Dictionary(extracted.held.map { ($0.path, $0.contents) }) { first, _ in first }
        let check = BackupCrossCheck(record: backup.record, manifest: backup.manifest, label: held["backup_label"],
                                     tablespaceMap: held["tablespace_map"], control: held["global/pg_control"])
        if let problem = check.problems().first {
            throw RestoreError(code: .damaged, detail: "backup \(backup.record.id): \(problem)")
        }
        let segments = extracted.walHeaders.sorted { $0.key < $1.key }
        guard let segmentSize = segments.first.flatMap({ WALSegmentHeader($0.value.header).declaredSegmentSize }) else {
            if let name = segments.first?.key {
                throw RestoreError(code: .damaged, detail: "backup \(backup.record.id): WAL segment \(name) declares no valid segment size")
            }
            return
        }
        for (name, segment) in segments {
            if let problem = WALSegmentHeader(segment.header).problem(
                name: name, size: segment.size, segmentSize: segmentSize, systemIdentifier: check.systemIdentifier,
                timelines: check.timelines)
            {
                throw RestoreError(code: .damaged, detail: "backup \(backup.record.id): WAL segment \(name) \(problem)")
            }
        }
    }
}

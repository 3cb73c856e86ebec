internal import Archive
internal import Foundation
internal import PostgresFormat
internal import TargetLayout

extension Restorer {
    /// 6b. That what was extracted is this backup's: backup_label, tablespace_map and
    /// pg_control agree with backup.json, and every WAL segment is of its cluster and timelines
    /// (`BackupCrossCheck`, `WALSegmentHeader`, the checks verify makes). Before pg_control and
    /// backup_label exist, so a refused restore leaves nothing a server would start from.
    func checkIdentity(_ backup: StoredBackup, _ extracted: Extracted) throws(RestoreError) {
        let held = Dictionary(extracted.held.map { ($0.path, $0.contents) }) { first, _ in first }
        let check = BackupCrossCheck(
            record: backup.record, manifest: backup.manifest, label: held["backup_label"],
            tablespaceMap: held["tablespace_map"], control: held["global/pg_control"])
        if let problem = check.problems().first {
            throw RestoreError(code: .damaged, detail: "backup \(backup.record.id): \(problem)")
        }
        let segments = extracted.walHeaders.sorted { $0.key < $1.key }
        guard let segmentSize = segments.first.flatMap({ WALSegmentHeader($0.value.header).declaredSegmentSize }) else {
            if let name = segments.first?.key {
                throw RestoreError(
                    code: .damaged,
                    detail: "backup \(backup.record.id): WAL segment \(name) declares no valid segment size")
            }
            return
        }
        var histories: [UInt32: TimelineHistory?] = [:]
        for (name, segment) in segments {
            let timeline = WALFileName(parsing: name, segmentSize: segmentSize)?.timeline
            if let timeline, histories[timeline] == nil { histories[timeline] = extractedHistory(timeline) }
            if let problem = WALSegmentHeader(segment.header).problem(
                name: name, size: segment.size, segmentSize: segmentSize, systemIdentifier: check.systemIdentifier,
                timelines: check.timelines, history: timeline.flatMap { histories[$0] } ?? nil)
            {
                throw RestoreError(code: .damaged, detail: "backup \(backup.record.id): WAL segment \(name) \(problem)")
            }
        }
    }

    /// `<TLI>.history` as pg_wal.tar.zst put it into the restored WAL directory; nil when there
    /// is none or it is unreadable, and then a segment copied at a switch is judged without it.
    private func extractedHistory(_ timeline: UInt32) -> TimelineHistory? {
        guard timeline > 1 else { return nil }
        let directory = request.walDirectory ?? request.dataDirectory + "/pg_wal"
        let path = directory + "/" + WALFileName.historyName(timeline: timeline)
        guard case .success(let bytes) = BoundedFile.read(path, limit: Int(TimelineHistory.sizeLimit)) else {
            return nil
        }
        return TimelineHistory.parse(String(decoding: bytes, as: UTF8.self), timeline: timeline)
    }
}

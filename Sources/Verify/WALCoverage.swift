internal import PostgresFormat
internal import TargetLayout

/// Whether the WAL archive holds every segment from the backup's start to its end, each one
/// the segment its name claims to be, of this backup's cluster and timelines.
///
/// Replaying that stretch is what makes the copied files consistent; a segment that is absent,
/// short, or from another cluster or timeline makes the backup unusable however intact the
/// data files are. The check reads the long page header every segment starts with
/// (`WALSegmentHeader`, the same check restore makes).
struct WALCoverage {
    let ranges: [WALRange]
    /// backup.json's (cross-checked against manifest and pg_control), for every manifest version.
    let systemIdentifier: UInt64?
    let timelines: Set<UInt32>
    /// Segment names backup.json lists.
    let recordedSegments: [String]
    /// backup.json's start and stop: the span a real backup's ranges cannot exceed.
    let recordedSpan: (start: UInt64, stop: UInt64)?

    func problems(headers: [String: [UInt8]], sizes: [String: UInt64], archive: String) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        guard let segmentSize = sizes.values.first, WALFileName.isSegmentSize(segmentSize) else {
            let names = recordedSegments.isEmpty ? [nil] : recordedSegments.prefix(20).map { Optional($0) }
            return names.map { name in
                VerifyProblem(
                    kind: .walMissing, archive: archive, path: name,
                    message:
                        "\(archive) holds no usable WAL segment\(name.map { " (\($0) is missing)" } ?? ""); the backup cannot reach consistency"
                )
            }
        }
        var expected: [String] = []
        switch expectedSegments(segmentSize: segmentSize, archived: headers.count) {
        case .success(let names): expected = names
        case .failure(let problem): problems.append(problem(archive))
        }
        let wanted = Set(expected + recordedSegments)
        for name in wanted.sorted() where headers[name] == nil {
            problems.append(
                VerifyProblem(
                    kind: .walMissing, archive: archive, path: name,
                    message: "WAL segment \(name), needed for consistency, is not in \(archive)"))
        }
        // Every segment, needed or not, must be this backup's: restore replays whatever is there.
        for (name, header) in headers.sorted(by: { $0.key < $1.key }) {
            if let problem = WALSegmentHeader(header).problem(
                name: name, size: sizes[name] ?? 0, segmentSize: segmentSize,
                systemIdentifier: systemIdentifier, timelines: timelines)
            {
                problems.append(
                    VerifyProblem(
                        kind: .walInvalid, archive: archive, path: name,
                        message: "WAL segment \(name) \(problem)"))
            }
        }
        return problems
    }

    /// The segments the manifest's ranges need, counted before a single name is made: a range
    /// is a claim from the backup directory, and `0/0`-`FFFFFFFF/FFFFFFFF` would be 2^44 names.
    private func expectedSegments(segmentSize: UInt64, archived: Int) -> Result<[String], Failure> {
        let recordSpan = recordedSpan.map { ($0.stop / segmentSize) - ($0.start / segmentSize) + 1 } ?? 0
        let limit = min(UInt64(BackupContents.maximumWALSegments), max(UInt64(archived), recordSpan) + 1)
        var total: UInt64 = 0
        for range in ranges {
            guard range.start <= range.end else { return .failure(Failure(range: range, count: nil, limit: limit)) }
            let count = segmentCount(range, segmentSize: segmentSize)
            total += count
            if total > limit { return .failure(Failure(range: range, count: count, limit: limit)) }
        }
        var names: [String] = []
        for range in ranges {
            let first = range.start.value / segmentSize
            for segment in first..<(first + segmentCount(range, segmentSize: segmentSize)) {
                names.append(WALFileName(timeline: range.timeline, segment: segment).name(segmentSize: segmentSize))
            }
        }
        return .success(names)
    }

    /// Segments from the one holding `start` to the one holding the last byte before `end`.
    private func segmentCount(_ range: WALRange, segmentSize: UInt64) -> UInt64 {
        let first = range.start.value / segmentSize
        let end = max(range.end.value, 1)
        let last = end > range.start.value ? (end - 1) / segmentSize : first
        return max(first, last) - first + 1
    }

    struct Failure: Error {
        let range: WALRange
        let count: UInt64?
        let limit: UInt64

        func callAsFunction(_ archive: String) -> VerifyProblem {
            let text = "timeline \(range.timeline) \(range.start)-\(range.end)"
            let why =
                count.map {
                    "spans \($0) WAL segments, more than the \(limit) that \(archive) and backup.json's start and stop allow"
                }
                ?? "ends before it starts"
            return VerifyProblem(
                kind: .walInvalid, archive: archive, path: BackupFiles.manifest,
                message: "backup_manifest's WAL range \(text) \(why)")
        }
    }
}

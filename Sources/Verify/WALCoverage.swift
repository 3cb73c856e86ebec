internal import Archive
internal import PostgresClient

/// Whether the WAL archive holds every segment from the backup's start to its end, each one
/// the segment its name claims to be.
///
/// Replaying that stretch is what makes the copied files consistent; a segment that is absent,
/// short, or from another cluster or timeline makes the backup unusable however intact the
/// data files are. The check reads the long page header every segment starts with.
struct WALCoverage {
    let ranges: [WALRange]
    let systemIdentifier: UInt64?
    /// Segment names backup.json lists.
    let recordedSegments: [String]

    func problems(headers: [String: [UInt8]], sizes: [String: UInt64], archive: String) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        guard let segmentSize = sizes.values.first, segmentSize.nonzeroBitCount == 1,
              (1 << 20)...(1 << 30) ~= segmentSize
        else {
            let names = recordedSegments.isEmpty ? [nil] : recordedSegments.map { Optional($0) }
            return names.map { name in
                VerifyProblem(kind: .walMissing, archive: archive, path: name,
                              message: "\(archive) holds no usable WAL segment\(name.map { " (\($0) is missing)" } ?? ""); the backup cannot reach consistency")
            }
        }
        var expected: [String] = []
        for range in ranges {
            let first = range.start / segmentSize
            let last = max(range.end, 1) > range.start ? (max(range.end, 1) - 1) / segmentSize : first
            for segment in first...max(first, last) {
                expected.append(LSN(segment * segmentSize).walFileName(timeline: range.timeline, segmentSize: segmentSize))
            }
        }
        for name in Set(expected + recordedSegments).sorted() {
            guard let header = headers[name] else {
                problems.append(VerifyProblem(kind: .walMissing, archive: archive, path: name,
                                              message: "WAL segment \(name), needed for consistency, is not in \(archive)"))
                continue
            }
            if let problem = check(name: name, header: header, size: sizes[name] ?? 0, segmentSize: segmentSize) {
                problems.append(VerifyProblem(kind: .walInvalid, archive: archive, path: name,
                                              message: "WAL segment \(name) \(problem)"))
            }
        }
        return problems
    }

    /// The long page header: xlp_info (LONG_HEADER), xlp_tli, xlp_pageaddr, xlp_sysid,
    /// xlp_seg_size, all little-endian as PostgreSQL writes them on x86 and arm64.
    private func check(name: String, header: [UInt8], size: UInt64, segmentSize: UInt64) -> String? {
        guard size == segmentSize else { return "is \(size) bytes, not \(segmentSize)" }
        guard header.count >= 40 else { return "is too short for a page header" }
        func value(_ offset: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(header[offset + $1]) << (8 * UInt64($1)) }
        }
        let info = value(2, 2)
        let timeline = UInt32(value(4, 4))
        let pageAddress = value(8, 8)
        let systemIdentifier = value(24, 8)
        let headerSegmentSize = value(32, 4)
        guard let (nameTimeline, segment) = Self.parse(name, segmentSize: segmentSize) else { return "has a malformed name" }
        if info & 0x0002 == 0 { return "does not start with a long page header (not a WAL segment, or zeroed)" }
        if timeline != nameTimeline { return "is on timeline \(timeline), its name says \(nameTimeline)" }
        if pageAddress != segment * segmentSize {
            return "starts at \(WALRange.formatLSN(pageAddress)), its name says \(WALRange.formatLSN(segment * segmentSize))"
        }
        if let expected = self.systemIdentifier, expected != 0, systemIdentifier != expected {
            return "belongs to cluster \(systemIdentifier), not \(expected)"
        }
        if headerSegmentSize != segmentSize { return "declares segment size \(headerSegmentSize)" }
        return nil
    }

    static func parse(_ name: String, segmentSize: UInt64) -> (UInt32, UInt64)? {
        let characters = Array(name)
        guard characters.count == 24,
              let timeline = UInt32(String(characters[0..<8]), radix: 16),
              let high = UInt64(String(characters[8..<16]), radix: 16),
              let low = UInt64(String(characters[16..<24]), radix: 16)
        else { return nil }
        return (timeline, high * (0x1_0000_0000 / segmentSize) + low)
    }
}

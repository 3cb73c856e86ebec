import Compression
import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

/// `verify --wal`: reads every archived file to its end, as archive-get would, and checks the
/// archive's continuity per timeline. Runs as root or the archive's owner; changes nothing.
public enum WALArchiveVerifier {
    /// Gaps beyond this many are counted, not each named.
    static let namedGaps = 20

    public static func verify(target: String, oldestStart: String?, systemIdentifier: UInt64?) -> WALArchiveReport {
        let archive = WALArchiveLayout.directory(target: target)
        var report = WALArchiveReport(files: 0, timelines: [], from: oldestStart, through: nil, problems: [])
        var segments: [UInt32: Set<String>] = [:]
        var histories: [UInt32: TimelineHistory] = [:]
        var segmentSize: UInt64?
        for relative in storedFiles(archive) {
            let fileName = String(relative.split(separator: "/").last ?? "").dropLast(
                WALArchiveLayout.storedSuffix.count)
            guard let name = WALArchiveName(String(fileName)) else { continue }
            report.files += 1
            switch check(archive + "/" + relative, name: name, fileName: String(fileName), system: systemIdentifier) {
            case .failure(let message):
                report.problems.append(.init(kind: "wal_invalid", name: String(fileName), message: message.description))
            case .success(let content):
                if case .segment(let segment) = name {
                    segments[UInt32(segment.prefix(8), radix: 16) ?? 0, default: []].insert(segment)
                    segmentSize = segmentSize ?? UInt64(content.length)
                }
                if case .history(let timeline) = name,
                    let history = TimelineHistory.parse(
                        String(decoding: content.prefix, as: UTF8.self), timeline: timeline)
                {
                    histories[timeline] = history
                }
            }
        }
        report.timelines = segments.keys.sorted()
        report.through = segments.values.flatMap { $0 }.max { $0.dropFirst(8) < $1.dropFirst(8) }
        report.problems += gaps(segments, histories: histories, oldestStart: oldestStart, segmentSize: segmentSize)
        return report
    }

    struct Content {
        var length: Int
        /// The first bytes (a history file whole, a segment's page header).
        var prefix: [UInt8]
    }

    /// Decompresses the stored file, checking its length, SHA-256 and, for a segment, header.
    static func check(_ path: String, name: WALArchiveName, fileName: String, system: UInt64?) -> Result<
        Content, Failure
    > {
        let input = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard input >= 0 else { return .failure(Failure("cannot open \(path): \(Errno.current.description)")) }
        defer { close(input) }
        guard let bytes = try? WALFileIO.readPrefix(input, count: StoredWALHeader.length),
            let header = StoredWALHeader(bytes)
        else { return .failure(Failure("\(path) has no valid header (truncated or not pgsnap's)")) }
        var hash = SHA256()
        var length = 0
        var prefix: [UInt8] = []
        do {
            let decompressor = try ZstdDecompressor()
            guard lseek(input, off_t(StoredWALHeader.length), SEEK_SET) >= 0 else { throw Failure("cannot seek") }
            _ = try WALFileIO.forEachChunk(input, limit: 2 << 30) { chunk in
                try decompressor.decompress(chunk) { out in
                    length += out.count
                    if prefix.count < 1 << 20 { prefix += out.prefix((1 << 20) - prefix.count) }
                    hash.update(out)
                }
            }
            try decompressor.finish()
        } catch {
            return .failure(Failure("\(fileName) is damaged: \(error)"))
        }
        guard StoredWALHeader(originalLength: UInt64(length), sha256: hash.digest()) == header else {
            return .failure(Failure("\(fileName) does not match its checksum (damaged or truncated)"))
        }
        if case .segment(let segment) = name {
            let segmentHeader = WALSegmentHeader(Array(prefix.prefix(WALSegmentHeader.length)))
            if let problem = segmentHeader.problem(
                name: segment, size: UInt64(length), segmentSize: UInt64(length), systemIdentifier: system,
                timelines: [])
            {
                return .failure(Failure("\(fileName) \(problem)"))
            }
        }
        return .success(Content(length: length, prefix: prefix))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Per timeline: every segment from its first needed one (the oldest kept backup's start,
    /// or where the timeline began, whichever is later) to its newest archived one.
    static func gaps(
        _ segments: [UInt32: Set<String>], histories: [UInt32: TimelineHistory], oldestStart: String?,
        segmentSize: UInt64?
    ) -> [WALArchiveReport.Problem] {
        guard let segmentSize else { return [] }
        let oldest = oldestStart.flatMap { WALFileName(parsing: $0, segmentSize: segmentSize)?.segment }
        var problems: [WALArchiveReport.Problem] = []
        var unnamed = 0
        for timeline in segments.keys.sorted() {
            let numbers = Set(
                segments[timeline, default: []].compactMap {
                    WALFileName(parsing: $0, segmentSize: segmentSize)?.segment
                })
            guard let newest = numbers.max(), let lowest = numbers.min() else { continue }
            let began = histories[timeline]?.switchPoints.values.max().map { $0 / segmentSize }
            let first = max(oldest ?? lowest, began ?? (oldest ?? lowest))
            guard first <= newest else { continue }
            for number in first...newest where !numbers.contains(number) {
                let name = WALFileName(timeline: timeline, segment: number).name(segmentSize: segmentSize)
                if problems.count < namedGaps {
                    problems.append(
                        .init(kind: "wal_missing", name: name, message: "\(name) is missing from the archive"))
                } else {
                    unnamed += 1
                }
            }
        }
        if unnamed > 0 {
            problems.append(.init(kind: "wal_missing", name: "", message: "and \(unnamed) more missing segments"))
        }
        return problems
    }

    /// Every `.zst` under the archive, relative to it, sorted.
    static func storedFiles(_ archive: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: archive)
        var files: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(WALArchiveLayout.storedSuffix) { files.append(relative) }
        }
        return files.sorted()
    }
}

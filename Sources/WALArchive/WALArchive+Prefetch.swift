import Foundation
import PostgresFormat

extension WALArchive {
    /// Seconds one archive-get may spend fetching ahead: the server waits for it before it
    /// replays the file it asked for.
    static let prefetchBudget: TimeInterval = 30

    /// archive-get with the prefetch spool (docs/wal-archive.md). When PostgreSQL asks for
    /// segment S into its pg_wal: spool entries other than S and the segments after it on S's
    /// timeline go; S is served from the spool when its entry matches the archived header, else
    /// from the archive; then, when fewer than half of the next `prefetch` segments are
    /// spooled, the missing ones are fetched on parallel threads before the call returns, so no
    /// fetch outlives it. A file not in the archive empties the spool (the end of the archive,
    /// or of recovery: the promotion's probe for a new timeline's history), and is `.notFound`.
    public func get(_ fileName: String, to destination: String, prefetch: Int) throws(WALArchiveError)
        -> WALGetResult
    {
        let walDirectory = Self.directory(of: destination)
        guard let spool = WALSpool(walDirectory: walDirectory) else {
            try get(fileName, to: destination)
            return WALGetResult()
        }
        let name = try Self.classify(fileName)
        let path = archivedPath(name, fileName: fileName)
        guard let header = try storedHeader(path) else {
            spool.removeAll()
            throw WALArchiveError(code: .notFound, detail: "\(fileName) is not in the WAL archive \(directory)")
        }
        var result = WALGetResult()
        // History, backup history and .partial files are served as they are: the spool
        // holds segments of the timeline being replayed only.
        guard case .segment = name, let segmentSize = Self.segmentSize(header),
            let requested = WALFileName(parsing: fileName, segmentSize: segmentSize)
        else {
            try restore(path, header: header, to: destination)
            return result
        }
        let usable = prefetch > 0 && spool.prepare()
        // With prefetch off, a spool an earlier archive-get left is still used up and removed.
        guard usable || spool.isUsable() else {
            try restore(path, header: header, to: destination)
            return result
        }
        let window = usable ? Self.window(after: requested, count: prefetch, segmentSize: segmentSize) : []
        let wanted = Set([fileName] + window)
        spool.prune { wanted.contains($0) }
        switch try spool.serve(fileName, expecting: header, to: destination, directory: walDirectory) {
        case .served: result.servedFromSpool = true
        case .absent: try restore(path, header: header, to: destination)
        case .discarded(let reason):
            result.discarded.append("spool entry \(spool.path(fileName)) \(reason)")
            try restore(path, header: header, to: destination)
        }
        guard usable else {
            spool.removeAll()
            return result
        }
        result.spool = spool.directory
        let spooled = Set(spool.entries())
        let missing = window.filter { !spooled.contains($0) }
        if window.count - missing.count < (prefetch + 1) / 2 {
            result.prefetched = fetchAhead(missing, into: spool)
        }
        return result
    }

    /// The archived length of a full segment is its segment size; anything else is no segment
    /// this can count from.
    private static func segmentSize(_ header: StoredWALHeader) -> UInt64? {
        WALFileName.isSegmentSize(header.originalLength) ? header.originalLength : nil
    }

    /// The names of the `count` segments after `segment` on its timeline.
    static func window(after segment: WALFileName, count: Int, segmentSize: UInt64) -> [String] {
        (1...max(1, count)).compactMap { offset in
            let (next, overflow) = segment.segment.addingReportingOverflow(UInt64(offset))
            guard !overflow, next.multipliedReportingOverflow(by: segmentSize).overflow == false else { return nil }
            return WALFileName(timeline: segment.timeline, segment: next).name(segmentSize: segmentSize)
        }
    }

    /// Fetches `names` into the spool on parallel threads, each through a locked temporary
    /// renamed into place once its checksum matched. A segment not (yet) in the archive is no
    /// error: the archive ends there. Returns how many were spooled.
    private func fetchAhead(_ names: [String], into spool: WALSpool) -> Int {
        guard !names.isEmpty else { return 0 }
        let queue = ReadyQueue(names)
        let deadline = Date().addingTimeInterval(Self.prefetchBudget)
        let threads = min(names.count, max(2, ProcessInfo.processInfo.activeProcessorCount))
        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread { [self] in
                while Date() < deadline, let name = queue.take() {
                    if fetch(name, into: spool) { queue.markStored() }
                }
                group.leave()
            }
            thread.name = "pgsnap-archive-get-\(index)"
            thread.start()
        }
        group.wait()
        return queue.stored
    }

    private func fetch(_ fileName: String, into spool: WALSpool) -> Bool {
        guard let name = WALArchiveName(fileName),
            let header = try? storedHeader(archivedPath(name, fileName: fileName))
        else { return false }
        let temporary = spool.temporaryPath(fileName)
        do {
            try decompress(archivedPath(name, fileName: fileName), header: header, into: temporary)
        } catch {
            return false
        }
        defer { unlink(temporary) }
        return rename(temporary, spool.path(fileName)) == 0
    }
}

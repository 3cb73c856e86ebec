internal import Archive
internal import PostgresFormat

extension TimelineHistory {
    /// The history of `timeline` from the WAL archive at `path`; nil when the archive has none
    /// (timeline 1 has no history) or cannot be read, i.e. when pgsnap cannot tell.
    static func read(archive path: String, timeline: UInt32) -> TimelineHistory? {
        guard timeline > 1, let tar = try? ArchiveStream.open(path).1 else { return nil }
        let name = WALFileName.historyName(timeline: timeline)
        do {
            while let member = try tar.next() {
                guard member.kind == .file, member.path.description == name else { continue }
                guard member.size <= sizeLimit else { return nil }
                var bytes: [UInt8] = []
                try tar.readContent { bytes += $0 }
                return parse(String(decoding: bytes, as: UTF8.self), timeline: timeline)
            }
        } catch {
            return nil
        }
        return nil
    }
}

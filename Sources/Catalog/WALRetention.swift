import Foundation
import PostgresFormat
import SystemCalls
import TargetLayout

/// Which files of the target's WAL archive retention expires (docs/wal-archive.md): every
/// segment, `.partial` and backup history file before the start segment of the oldest kept
/// complete backup, on every timeline. LSNs only grow across timelines, so no kept backup (on
/// any timeline) ever replays a segment numbered below that. History files always stay: they
/// are tiny and recovery reads every timeline's to choose its path.
enum WALRetention {
    /// Archived files to remove, relative to the archive directory and sorted; nil when the
    /// target has no WAL archive. Nothing goes when a kept backup's start is unknown, or when
    /// no complete backup is kept: WAL is never expired on a guess.
    static func plan(target: String, kept: [CatalogEntry]) throws(CatalogError) -> [String]? {
        let archive = WALArchiveLayout.directory(target: target)
        guard let info = TargetFiles.status(archive), TargetFiles.isDirectory(info) else { return nil }
        let complete = kept.filter { $0.status == .complete }
        let starts = complete.map { $0.walRange?.start }
        guard !starts.isEmpty, starts.allSatisfy({ $0.map(WALFileName.isSegmentName) == true }) else { return [] }
        let oldest = starts.compactMap { $0.map(position) }.min() ?? ""
        var expired: [String] = []
        for directory in try TargetFiles.names(in: archive).sorted() where isLogFileDirectory(directory) {
            let path = archive + "/" + directory
            guard let info = TargetFiles.status(path), TargetFiles.isDirectory(info) else { continue }
            for name in try TargetFiles.names(in: path).sorted() where name.hasSuffix(WALArchiveLayout.storedSuffix) {
                let walName = String(name.dropLast(WALArchiveLayout.storedSuffix.count))
                guard let parsed = WALArchiveName(walName), let segment = parsed.segmentName else { continue }
                if position(segment) < oldest { expired.append(directory + "/" + name) }
            }
        }
        return expired
    }

    /// Removes the planned files; a failure is logged and the rest still tried, since a file
    /// left over costs only space. Log-file directories left empty go too.
    static func apply(_ expired: [String], target: String, log: (String) -> Void) {
        guard !expired.isEmpty else { return }
        let archive = WALArchiveLayout.directory(target: target)
        var directories: Set<String> = []
        for relative in expired {
            if unlink(archive + "/" + relative) != 0 && errno != ENOENT {
                log("cannot remove archived WAL \(relative): \(Errno.current.description)")
            }
            directories.insert(String(relative.prefix { $0 != "/" }))
        }
        for directory in directories.sorted() { rmdir(archive + "/" + directory) }
        for directory in [archive] + directories.sorted().map({ archive + "/" + $0 }) {
            let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = fsync(descriptor)
                close(descriptor)
            }
        }
        log("expired \(expired.count) archived WAL files before \(expired.last ?? "")")
    }

    /// The segment's place in the LSN order, whatever its timeline: log file and segment.
    private static func position(_ segmentName: String) -> String {
        String(segmentName.dropFirst(8))
    }

    /// `TTTTTTTTXXXXXXXX`, the directories archive-push creates.
    private static func isLogFileDirectory(_ name: String) -> Bool {
        name.utf8.count == 16
            && name.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) }
    }
}

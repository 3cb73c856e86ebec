import Foundation
import PostgresFormat
import TargetLayout

extension WALArchive {
    /// How many other `.ready` files one archive-push takes along, per worker: enough to keep
    /// ahead of a busy server, few enough that one call stays short (PostgreSQL waits for it).
    public static let readyFilesPerWorker = 8

    /// Pushes, on `workers` threads, the other files PostgreSQL has marked `.ready` in the
    /// `archive_status` next to `sourcePath`, oldest first, at most `readyFilesPerWorker` per
    /// worker. pgsnap never writes `.done` itself: PostgreSQL's later call for each finds the
    /// same content archived and returns at once. A file that fails here is left to that call,
    /// which reports it; this one's result is only its own file's. Returns how many were stored.
    @discardableResult
    public func pushReadyAlongside(_ sourcePath: String, workers: Int) -> Int {
        let slash = sourcePath.lastIndex(of: "/")
        let walDirectory = slash.map { String(sourcePath[..<$0]) } ?? "."
        let own = String(sourcePath[(slash.map { sourcePath.index(after: $0) } ?? sourcePath.startIndex)...])
        // Already archived ones are skipped here, so they do not use up the bound.
        let names = Self.readyNames(in: walDirectory).filter { $0 != own && !isArchived($0) }
        let taken = Array(names.prefix(max(1, workers) * Self.readyFilesPerWorker))
        guard !taken.isEmpty else { return 0 }
        let queue = ReadyQueue(taken)
        let group = DispatchGroup()
        for index in 0..<min(max(1, workers), taken.count) {
            group.enter()
            let thread = Thread { [self] in
                while let name = queue.take() {
                    if (try? push(walDirectory + "/" + name)) != nil { queue.markStored() }
                }
                group.leave()
            }
            thread.name = "pgsnap-archive-push-\(index)"
            thread.start()
        }
        group.wait()
        return queue.stored
    }

    /// Whether a file is stored under `fileName` (whatever its content: its own call compares).
    private func isArchived(_ fileName: String) -> Bool {
        guard let name = WALArchiveName(fileName) else { return false }
        var info = stat()
        return lstat(directory + "/" + WALArchiveLayout.storedPath(name, fileName: fileName), &info) == 0
    }

    /// The WAL file names with a `.ready` marker in `walDirectory/archive_status`, sorted (for
    /// segments of one timeline, oldest first, the order PostgreSQL will ask for them).
    static func readyNames(in walDirectory: String) -> [String] {
        guard let stream = opendir(walDirectory + "/archive_status") else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let marker = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard marker.hasSuffix(".ready") else { continue }
            let name = String(marker.dropLast(".ready".count))
            if WALArchiveName(name) != nil { names.append(name) }
        }
        return names.sorted()
    }
}

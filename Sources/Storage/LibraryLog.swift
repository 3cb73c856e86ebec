import Foundation
internal import Synchronization

/// Collects the log lines a C library hands to its callback during one call, so a failure can
/// carry the library's own explanation.
///
/// The C callbacks take no context pointer, so the buffer is process-wide; callers serialise
/// their library calls (one dedicated thread for LVM, a lock for device-mapper).
final class LibraryLog: Sendable {
    struct Line: Sendable {
        var level: Int32
        var text: String
        /// The library source file that logged it (LVM reports come from libdm-report.c).
        var source: String = ""
    }

    private let lines = Mutex<[Line]>([])

    func append(level: Int32, _ text: String, source: String = "") {
        let line = Line(level: level, text: text.trimmingCharacters(in: .whitespacesAndNewlines), source: source)
        lines.withLock { $0.append(line) }
    }

    /// Returns and clears what was collected.
    func drain() -> [Line] {
        lines.withLock { lines in
            defer { lines = [] }
            return lines
        }
    }
}

import Foundation

/// Collects the log lines a C library hands to its callback during one call, so a failure can
/// carry the library's own explanation.
///
/// The C callbacks take no context pointer, so the buffer is process-wide; callers serialise
/// their library calls (one dedicated thread for LVM, a lock for device-mapper).
final class LibraryLog: @unchecked Sendable {
    struct Line: Sendable {
        var level: Int32
        var text: String
        /// The library source file that logged it (LVM reports come from libdm-report.c).
        var source: String = ""
    }

    private let lock = NSLock()
    private var lines: [Line] = []

    func append(level: Int32, _ text: String, source: String = "") {
        lock.lock()
        lines.append(Line(level: level, text: text.trimmingCharacters(in: .whitespacesAndNewlines), source: source))
        lock.unlock()
    }

    /// Returns and clears what was collected.
    func drain() -> [Line] {
        lock.lock()
        defer { lines = []; lock.unlock() }
        return lines
    }
}

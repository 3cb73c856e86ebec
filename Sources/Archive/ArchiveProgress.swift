internal import Synchronization

/// Counters that archivers on several threads add to while another thread reads them to
/// show bytes and rate; share one instance across volumes for a backup-wide total.
///
/// Updates come once per read chunk (about a mebibyte) or compressed output chunk, so a lock
/// costs nothing measurable and keeps the three numbers consistent with each other.
public final class ArchiveProgress: Sendable {
    private let counters = Mutex(ArchiveCounters())

    public init() {}

    /// A consistent snapshot of the counters.
    public var current: ArchiveCounters {
        counters.withLock { $0 }
    }

    public func record(read: UInt64 = 0, written: UInt64 = 0, files: Int = 0) {
        counters.withLock { counters in
            counters.bytesRead += read
            counters.bytesWritten += written
            counters.files += files
        }
    }
}

public import Foundation
internal import Glibc
internal import SystemCalls
internal import TargetLayout

/// The metrics file (`metrics_file`, node_exporter's textfile collector): its one writer.
///
/// Written whole, never in place: a temporary file in the same directory, fsynced, renamed over
/// the old one, so the collector reads the previous file or the new one, never half of either.
/// The temporary name starts with a dot and does not end in `.prom`, so the collector never
/// reads it, and a crash can at worst leave such a dot file, never a broken metric.
public struct MetricsFile: Sendable {
    public let path: String

    /// The previous file is an input (another tool may write there): read no more than this.
    /// pgsnap's own is a few KiB.
    public static let maximumPreviousBytes = 1 << 20

    /// How long a writer waits for another pgsnap writing the same file (a verify beside a backup).
    static let lockWaitSeconds = 10.0

    public init(path: String) {
        self.path = path
    }

    /// The directory the file and its temporary live in.
    var directory: String {
        let parent = (path as NSString).deletingLastPathComponent
        return parent.isEmpty ? "/" : parent
    }

    /// Records `run` for `target`: the other commands' lines kept from the previous file, the
    /// target's figures recomputed from its catalog. Returns warnings about the previous file.
    @discardableResult
    public func record(_ run: CommandRun, target: String, now: Date = Date()) throws(MetricsError) -> [String] {
        let lock = try lockDirectory()
        defer { close(lock) }
        var warnings: [String] = []
        let previous = readPrevious(&warnings)
        let report = MetricsReport(
            target: target, history: CommandHistory(samples: previous, target: target).recording(run),
            figures: TargetFigures.read(target: target), now: now)
        try replace(with: Data(report.text.utf8))
        return warnings
    }

    /// Samples of the file as it is; none when there is no file yet.
    func readPrevious(_ warnings: inout [String]) -> [Sample] {
        switch BoundedFile.read(path, limit: Self.maximumPreviousBytes) {
        case .success(let bytes):
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap(ExpositionFormat.parse)
        case .failure(.missing):
            return []
        case .failure(let failure):
            warnings.append(
                "the previous metrics file \(path) \(failure.description): the other commands' last runs start afresh")
            return []
        }
    }

    /// An exclusive flock(2) on the directory, so two pgsnap runs (a verify during a backup) do
    /// not each keep the other's lines from a file the other is replacing. A lock on the file
    /// itself would be lost with the rename; the directory stays, and nothing is left behind.
    func lockDirectory() throws(MetricsError) -> Int32 {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw MetricsError(path: path, detail: "cannot open its directory", underlying: Errno.current.description)
        }
        let deadline = Date().addingTimeInterval(Self.lockWaitSeconds)
        while SystemCall.retrying({ flock(descriptor, LOCK_EX | LOCK_NB) }) != 0 {
            let reason = Errno.current
            guard reason.code == EWOULDBLOCK, Date() < deadline else {
                close(descriptor)
                let underlying = reason.code == EWOULDBLOCK ? "another pgsnap run held it for 10 s" : reason.description
                throw MetricsError(path: path, detail: "cannot lock its directory", underlying: underlying)
            }
            usleep(50_000)
        }
        return descriptor
    }

    /// Writes `data` to a temporary file, fsyncs it, renames it over `path` and fsyncs the
    /// directory; removes the temporary on any failure.
    func replace(with data: Data) throws(MetricsError) {
        let name = (path as NSString).lastPathComponent
        let temporary = directory + "/." + name + ".\(getpid()).tmp"
        // A leftover of a crashed run with our pid (pids are reused) would make O_EXCL fail.
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw MetricsError(path: path, detail: "cannot create \(temporary)", underlying: Errno.current.description)
        }
        // Metrics hold no secret; the collector runs as its own user and must read them,
        // whatever the umask.
        var failure = fchmod(descriptor, 0o644) == 0 ? nil : ("cannot set its mode", Errno.current.description)
        if failure == nil, let problem = Self.writeAll(data, to: descriptor) {
            failure = ("cannot write \(temporary)", problem)
        }
        if failure == nil, SystemCall.retrying({ fsync(descriptor) }) != 0 {
            failure = ("cannot sync \(temporary)", Errno.current.description)
        }
        close(descriptor)
        if failure == nil, rename(temporary, path) != 0 {
            failure = ("cannot rename \(temporary) to it", Errno.current.description)
        }
        if let (detail, underlying) = failure {
            unlink(temporary)
            throw MetricsError(path: path, detail: detail, underlying: underlying)
        }
        // The rename is durable once the directory is: a crash then leaves the new file.
        try? Durability.sync(directory)
    }

    /// nil when all of `data` was written, else why not.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> String? {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return 0 }
                return SystemCall.retrying { write(descriptor, base + offset, bytes.count - offset) }
            }
            if written < 0 { return Errno.current.description }
            if written == 0 { return "short write" }
            offset += written
        }
        return nil
    }
}

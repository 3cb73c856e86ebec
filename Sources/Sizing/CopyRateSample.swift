import Compression
public import Foundation

/// Without history, how fast a backup would copy: a short read of the cluster's own files
/// through zstd at the configured level and workers, bounded in bytes and time. Reading live
/// data files is harmless (no lock, no backup state); the rate is what the copy's slower half
/// allows, since a backup reads and compresses in one stream per archive.
public enum CopyRateSample {
    public static let maximumBytes = 64 << 20
    public static let maximumSeconds = 3.0

    /// Bytes per second, or nil when nothing could be read.
    public static func measure(directory: String, level: Int, workers: Int, stop: () -> Bool) -> Double? {
        guard let compressor = try? ZstdCompressor(level: level, workers: workers),
            let walker = FileManager.default.enumerator(atPath: directory)
        else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        let start = Date()
        while total < maximumBytes, Date().timeIntervalSince(start) < maximumSeconds, !stop(),
            let relative = walker.nextObject() as? String
        {
            guard let handle = FileHandle(forReadingAtPath: directory + "/" + relative) else { continue }
            defer { try? handle.close() }
            while total < maximumBytes, Date().timeIntervalSince(start) < maximumSeconds {
                let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                total += count
                try? buffer.withUnsafeBytes { bytes in
                    try compressor.compress(UnsafeRawBufferPointer(rebasing: bytes[..<count])) { _ in }
                }
            }
        }
        try? compressor.finish { _ in }
        let seconds = Date().timeIntervalSince(start)
        return total > 0 && seconds > 0 ? Double(total) / seconds : nil
    }
}

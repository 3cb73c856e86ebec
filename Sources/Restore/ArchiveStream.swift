public import Archive
public import Compression

/// A backup archive opened for reading: zstd underneath, tar on top, with zstd's failures
/// turned into the tar reader's terms so callers handle one error type.
public enum ArchiveStream {
    /// A `TarReader` over a `.tar.zst` file.
    public static func open(_ path: String) throws(ZstdReader.Failure) -> (ZstdReader, TarReader) {
        let reader = try ZstdReader(path: path)
        let tar = TarReader { buffer in
            do {
                return try reader.readFully(into: buffer)
            } catch let failure as ZstdReader.Failure {
                throw tarError(failure)
            }
        }
        return (reader, tar)
    }

    /// Reads the stream to its end after the tar trailer: zstd checks a frame's checksum only
    /// when the frame ends, and a cut after the trailer must still count as truncation.
    public static func drain(_ reader: ZstdReader) throws(TarReadError) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { storage in try reader.read(into: storage) }
            } catch let failure as ZstdReader.Failure {
                throw tarError(failure)
            } catch {
                throw .source("\(error)")
            }
            if count == 0 { return }
            if buffer[..<count].contains(where: { $0 != 0 }) {
                throw .malformed("data after the end-of-archive marker")
            }
        }
    }

    public static func tarError(_ failure: ZstdReader.Failure) -> TarReadError {
        switch failure {
        case .truncated: return .truncated
        case .corrupt(let message): return .corrupt(message)
        case .io(let message): return .source(message)
        }
    }
}

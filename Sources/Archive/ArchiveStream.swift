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

    public static func tarError(_ failure: ZstdReader.Failure) -> TarReadError {
        switch failure {
        case .truncated: return .truncated
        case .corrupt(let message): return .corrupt(message)
        case .io(let message): return .source(message)
        }
    }
}

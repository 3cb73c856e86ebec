internal import Glibc
public import PostgresFormat
internal import SystemCalls

/// Writes a POSIX tar stream (ustar headers, pax where ustar falls short) to a sink, through one
/// large staging buffer that file contents are read straight into, so every byte is copied
/// once between the page cache and the compressor.
///
/// The writer follows pg_basebackup's contract for live files: the header's size is the size
/// the file had when it was listed. A file that shrank meanwhile is padded with zeros, one that
/// grew is cut at the listed size; WAL replay repairs both.
public final class TarWriter {
    /// Receives the archive bytes in order; the buffer is only valid during the call.
    public typealias Sink = (UnsafeRawBufferPointer) throws(ArchiveError) -> Void

    private let sink: Sink
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private var encoder = TarHeaderEncoder()
    private var finished = false

    /// Archive bytes produced so far (uncompressed).
    public private(set) var bytesWritten: UInt64 = 0

    /// - Parameter bufferSize: the staging buffer, and so the size of each read and of each
    ///   chunk handed to `sink`; rounded up to a whole tar block.
    public init(bufferSize: Int = 1 << 20, sink: @escaping Sink) {
        let blocks = max(1, (bufferSize + TarHeaderEncoder.blockSize - 1) / TarHeaderEncoder.blockSize)
        buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: blocks * TarHeaderEncoder.blockSize,
            alignment: 4096)
        self.sink = sink
    }

    deinit { buffer.deallocate() }

    /// Adds a directory or a symlink (or an empty file).
    public func append(_ header: TarHeader) throws(ArchiveError) {
        precondition(header.size == 0, "members with contents need appendFile")
        try emit(try encoder.encode(header))
    }

    /// Adds a file whose contents are in memory; `contents.count` must equal `header.size`.
    public func appendFile(_ header: TarHeader, contents: UnsafeRawBufferPointer) throws(ArchiveError) {
        precondition(UInt64(contents.count) == header.size, "header size and contents disagree")
        try emit(try encoder.encode(header))
        try emit(contents)
        try emitZeros(TarHeaderEncoder.padding(after: header.size))
    }

    /// Adds a file whose contents are in memory; `contents.count` must equal `header.size`.
    public func appendFile(_ header: TarHeader, contents: [UInt8]) throws(ArchiveError) {
        precondition(UInt64(contents.count) == header.size, "header size and contents disagree")
        try emit(try encoder.encode(header))
        try emit(contents)
        try emitZeros(TarHeaderEncoder.padding(after: header.size))
    }

    /// Adds a file read from `descriptor` (at its current offset) until `header.size` bytes.
    ///
    /// - Parameters:
    ///   - sourcePath: named in read errors.
    ///   - observe: sees each chunk of content as it goes into the archive (zeros that replace
    ///     missing bytes included, tar padding not), for checksums and progress; it may throw to
    ///     stop (the stream is then unusable).
    public func appendFile(
        _ header: TarHeader, readingFrom descriptor: Int32, sourcePath: RawPath,
        observe: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError)
        -> TarFileCopy
    {
        try emit(try encoder.encode(header))
        var copied: UInt64 = 0
        var endOfFile = false
        while copied < header.size && !endOfFile {
            if used == buffer.count { try flushBuffer() }
            let wanted = Int(min(UInt64(buffer.count - used), header.size - copied))
            guard let target = buffer.baseAddress?.advanced(by: used) else { preconditionFailure("no buffer") }
            let count = SystemCall.retrying { read(descriptor, target, wanted) }
            if count < 0 { throw SystemCall.error(.readFailed, sourcePath, "could not read file") }
            if count == 0 {
                endOfFile = true
                continue
            }
            try observe(UnsafeRawBufferPointer(start: target, count: count))
            used += count
            copied += UInt64(count)
        }
        let bytesRead = copied
        while copied < header.size {
            if used == buffer.count { try flushBuffer() }
            let count = Int(min(UInt64(buffer.count - used), header.size - copied))
            let zeros = UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + count)])
            zeros.initializeMemory(as: UInt8.self, repeating: 0)
            try observe(UnsafeRawBufferPointer(zeros))
            used += count
            copied += UInt64(count)
        }
        try emitZeros(TarHeaderEncoder.padding(after: header.size))
        return TarFileCopy(bytesRead: bytesRead, zeroFilled: header.size - bytesRead)
    }

    /// Ends the archive with two zero blocks and hands everything buffered to the sink.
    public func finish() throws(ArchiveError) {
        guard !finished else { return }
        try emitZeros(2 * TarHeaderEncoder.blockSize)
        try flushBuffer()
        finished = true
    }

    // MARK: - Buffering

    private func emit(_ bytes: [UInt8]) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            if used == buffer.count { try flushBuffer() }
            offset += bytes.withUnsafeBytes { copyIn($0, from: offset) }
        }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            if used == buffer.count { try flushBuffer() }
            offset += copyIn(bytes, from: offset)
        }
    }

    /// Copies as much of `bytes[offset...]` as the buffer has room for; returns how much.
    private func copyIn(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
        let count = min(buffer.count - used, bytes.count - offset)
        guard count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress else { return 0 }
        (target + used).copyMemory(from: source + offset, byteCount: count)
        used += count
        return count
    }

    private func emitZeros(_ count: Int) throws(ArchiveError) {
        var remaining = count
        while remaining > 0 {
            if used == buffer.count { try flushBuffer() }
            let chunk = min(buffer.count - used, remaining)
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<(used + chunk)])
                .initializeMemory(as: UInt8.self, repeating: 0)
            used += chunk
            remaining -= chunk
        }
    }

    private func flushBuffer() throws(ArchiveError) {
        guard used > 0 else { return }
        let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<used])
        used = 0
        bytesWritten += UInt64(chunk.count)
        try sink(chunk)
    }
}

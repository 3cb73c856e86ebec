internal import CZstd
internal import Glibc
internal import SystemCalls

/// Reads a `.zst` file as a stream of decompressed bytes, pulled by the caller.
///
/// Restore and verify parse tar headers out of the decompressed stream and need to ask for
/// "the next 512 bytes", which a push-style sink makes awkward. The reader owns its file
/// descriptor and `ZSTD_DCtx`, and it tells a damaged archive apart from a short one: zstd's
/// own error (a bad frame checksum, garbage) is `corrupt`, input that ends inside a frame is
/// `truncated`. Frame checksums are verified by libzstd as each frame ends.
public final class ZstdReader {
    public enum Failure: Error, Equatable, Sendable {
        /// The file could not be opened or read; strerror text.
        case io(String)
        /// libzstd rejected the data (`ZSTD_getErrorName`).
        case corrupt(String)
        /// The file ends inside a frame.
        case truncated
    }

    private let descriptor: Int32
    private let context: OpaquePointer
    private var input: [UInt8]
    private var inputStart = 0
    private var inputEnd = 0
    private var endOfFile = false
    /// 0 once the last frame decoded was complete (`ZSTD_decompressStream`'s hint).
    private var frameRemainder = 0
    private var sawAnyInput = false
    /// Compressed bytes consumed so far, for throughput figures.
    public private(set) var compressedBytesRead: UInt64 = 0

    /// Opens `path` for reading; throws `.io` when it cannot, and `.corrupt` when it is not a
    /// regular file. An archive is an input: a symlink (to a FIFO, a device, anything) would
    /// hang or mislead a reader, so it is never followed, and O_NONBLOCK keeps the open itself
    /// from waiting for a FIFO's writer.
    public init(path: String) throws(Failure) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ELOOP { throw .corrupt("is a symbolic link, not an archive file") }
            throw .io(Errno.current.description)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let reason = Errno.current.description
            close(descriptor)
            throw .io(reason)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .corrupt("is not a regular file")
        }
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let reason = Errno.current.description
            close(descriptor)
            throw .io(reason)
        }
        guard let context = ZSTD_createDCtx() else {
            close(descriptor)
            throw .io("out of memory for a zstd context")
        }
        self.descriptor = descriptor
        self.context = context
        input = [UInt8](repeating: 0, count: max(ZSTD_DStreamInSize(), 1 << 20))
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit {
        ZSTD_freeDCtx(context)
        close(descriptor)
    }

    /// Fills `buffer` with the next decompressed bytes; returns how many, 0 at the end of a
    /// complete stream. Throws `.truncated` when the file ends inside a frame.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inputStart == inputEnd && !endOfFile { try refill() }
            let drained = inputStart == inputEnd && endOfFile
            if drained {
                // No input left: the stream is complete only if the last frame was. A frame that
                // is not finished may still hold output libzstd could not hand over last time.
                if !sawAnyInput { throw .truncated }
                if frameRemainder == 0 { return 0 }
            }
            var produced = 0
            var consumed = 0
            var hint = 0
            input.withUnsafeBytes { source in
                var inBuffer = ZSTD_inBuffer(
                    src: source.baseAddress.map { $0 + inputStart }, size: inputEnd - inputStart,
                    pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                produced = outBuffer.pos
                consumed = inBuffer.pos
            }
            if ZSTD_isError(hint) != 0 {
                throw .corrupt(String(cString: ZSTD_getErrorName(hint)))
            }
            frameRemainder = hint
            inputStart += consumed
            compressedBytesRead += UInt64(consumed)
            if produced > 0 { return produced }
            if drained { throw .truncated }
        }
    }

    /// Reads exactly `buffer.count` bytes unless the stream ends first; returns the count read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    private func refill() throws(Failure) {
        inputStart = 0
        inputEnd = 0
        let count = SystemCall.retrying {
            input.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        }
        if count < 0 { throw .io(Errno.current.description) }
        if count == 0 {
            endOfFile = true
        } else {
            sawAnyInput = true
            inputEnd = count
        }
    }
}

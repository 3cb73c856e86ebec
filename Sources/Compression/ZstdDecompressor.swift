internal import CZstd

/// A streaming zstd decompressor that owns its `ZSTD_DCtx` and notices a truncated last frame.
public final class ZstdDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    /// 0 once the last frame read was complete.
    private var frameRemainder = 0

    public init() throws(ZstdError) {
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(operation: "create a decompression context", zstdMessage: "out of memory")
        }
        self.context = context
        self.output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `input`, handing each produced chunk to `sink`.
    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try output.withUnsafeMutableBytes { out in
            // A full output buffer may hide more output after all input is consumed, unless the
            // frame just ended (hint 0): calling again would start reading a next frame.
            var outputWasFull = false
            repeat {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                try ZstdCompressor.check(hint, "decompress")
                frameRemainder = hint
                if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[..<outBuffer.pos])) }
                outputWasFull = outBuffer.pos == outBuffer.size
            } while inBuffer.pos < inBuffer.size || (outputWasFull && frameRemainder != 0)
        }
    }

    /// Throws if the input ended inside a frame (a truncated archive).
    public func finish() throws(ZstdError) {
        if frameRemainder != 0 {
            throw ZstdError(operation: "finish", zstdMessage: "input ends inside a frame (truncated)")
        }
    }
}

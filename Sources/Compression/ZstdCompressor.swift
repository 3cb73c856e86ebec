internal import CZstd

/// A streaming zstd compressor that owns its `ZSTD_CCtx`. With `workers > 0` libzstd compresses
/// on its own threads while the caller keeps feeding input, which is how reading, compressing
/// and writing overlap.
public final class ZstdCompressor {
    private let context: OpaquePointer
    private var output: [UInt8]

    public init(level: Int, workers: Int) throws(ZstdError) {
        // libzstd clamps out-of-range values silently; an admin's typo should be an error.
        try Self.checkBounds(ZSTD_c_compressionLevel, level, "compression level")
        try Self.checkBounds(ZSTD_c_nbWorkers, workers, "worker count")
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(operation: "create a compression context", zstdMessage: "out of memory")
        }
        self.context = context
        self.output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        // From here on a throw still runs deinit, which frees the context.
        try Self.check(
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)),
            "set compression level \(level)")
        try Self.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable frame checksums")
        try Self.check(
            ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(workers)),
            "use \(workers) worker threads")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`, handing each produced chunk to `sink`.
    public func compress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(input, directive: ZSTD_e_continue, sink: sink)
    }

    /// Ends the frame, flushing everything still buffered in the workers.
    public func finish(sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end, sink: sink)
    }

    private func stream(
        _ input: UnsafeRawBufferPointer, directive: ZSTD_EndDirective,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try output.withUnsafeMutableBytes { out in
            while true {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                try Self.check(remaining, "compress")
                if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[..<outBuffer.pos])) }
                let inputDone = inBuffer.pos == inBuffer.size
                if directive == ZSTD_e_continue ? inputDone : remaining == 0 { return }
            }
        }
    }

    private static func checkBounds(_ parameter: ZSTD_cParameter, _ value: Int, _ name: String) throws(ZstdError) {
        let bounds = ZSTD_cParam_getBounds(parameter)
        try check(bounds.error, "read the bounds of the \(name)")
        guard (Int(bounds.lowerBound)...Int(bounds.upperBound)).contains(value) else {
            throw ZstdError(
                operation: "use \(name) \(value)",
                zstdMessage: "outside the supported range \(bounds.lowerBound)...\(bounds.upperBound)")
        }
    }

    static func check(_ code: Int, _ operation: String) throws(ZstdError) {
        if ZSTD_isError(code) != 0 {
            throw ZstdError(operation: operation, zstdMessage: String(cString: ZSTD_getErrorName(code)))
        }
    }
}

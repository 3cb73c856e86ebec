public import ExitStatus

/// A libzstd failure, carrying `ZSTD_getErrorName`'s text.
public struct ZstdError: PgsnapError, Equatable {
    public let operation: String
    public let zstdMessage: String

    public init(operation: String, zstdMessage: String) {
        self.operation = operation
        self.zstdMessage = zstdMessage
    }

    public var exitStatus: ExitStatus { .internalError }
    public var message: String { "zstd could not \(operation): \(zstdMessage)" }
    public var hint: String { "" }
}

extension ZstdError {
    /// `zstd.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("zstd", "failed") }
}

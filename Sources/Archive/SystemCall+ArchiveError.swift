internal import Glibc
internal import PostgresFormat
internal import SystemCalls

extension SystemCall {
    /// An `ArchiveError` for the current `errno`, naming what was attempted.
    static func error(
        _ code: ArchiveError.Code, _ path: RawPath, _ operation: String,
        errno number: Int32 = errno
    ) -> ArchiveError {
        ArchiveError(code: code, path: path.description, reason: "\(operation): \(Errno(number))")
    }
}

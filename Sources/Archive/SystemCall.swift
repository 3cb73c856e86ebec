internal import Glibc
internal import PostgresFormat

/// The one place where the archive code talks to the kernel's error conventions: EINTR is
/// retried here, and `errno` becomes the text an administrator can search for.
public enum SystemCall {
    /// Runs `call` until it does not fail with EINTR; returns its result (`-1` means see errno).
    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// `strerror` text for `number`.
    public static func describe(_ number: Int32) -> String {
        guard let text = strerror(number) else { return "error \(number)" }
        return String(cString: text)
    }

    /// An `ArchiveError` for the current `errno`, naming what was attempted.
    static func error(_ code: ArchiveError.Code, _ path: RawPath, _ operation: String,
                      errno number: Int32 = errno) -> ArchiveError {
        ArchiveError(code: code, path: path.description, reason: "\(operation): \(describe(number))")
    }
}

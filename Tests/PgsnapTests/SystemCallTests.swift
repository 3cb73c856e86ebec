import Foundation
import SystemCalls
import Testing

/// The one syscall and errno boundary: messages keep strerror's exact words (tests and users
/// compare them), EINTR is retried and nothing else is.
@Suite("System calls: Errno and EINTR", .unit)
struct SystemCallTests {
    @Test func errnoSaysWhatStrerrorSays() {
        #expect(Errno(ENOENT).description == "No such file or directory")
        #expect(Errno(EACCES).description == "Permission denied")
        #expect("\(Errno(ENOSPC))" == "No space left on device", "interpolation is the description")
        #expect(Errno(9999).description == "Unknown error 9999")
    }

    @Test func currentIsTheErrnoOfTheLastFailedCall() {
        #expect(close(-1) == -1)
        #expect(Errno.current == Errno(EBADF))
        #expect(Errno.current.code == EBADF)
    }

    @Test func retryingMakesAnInterruptedCallAgain() {
        var calls = 0
        let result = SystemCall.retrying { () -> Int in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 42
        }
        #expect(result == 42)
        #expect(calls == 3)
    }

    @Test func retryingReturnsAnyOtherFailureAtOnce() {
        var calls = 0
        let result = SystemCall.retrying { () -> Int32 in
            calls += 1
            return close(-1)
        }
        #expect(result == -1)
        #expect(calls == 1)
        #expect(Errno.current == Errno(EBADF), "errno is left for the caller to report")
    }

    /// A result other than -1 is a success (a byte count, a descriptor), even when errno still
    /// holds EINTR from an earlier call.
    @Test func retryingTrustsTheResultNotAStaleErrno() {
        var calls = 0
        let result = SystemCall.retrying { () -> Int in
            calls += 1
            errno = EINTR
            return 0
        }
        #expect(result == 0)
        #expect(calls == 1)
    }

    /// The rule of the boundary, kept: only SystemCalls turns an error number into words.
    @Test func strerrorIsCalledInOneFileOnly() throws {
        let callers = try SourceFiles.containing("strerror(")
        #expect(callers == ["SystemCalls/Errno.swift"])
    }
}

internal import Glibc

/// The one wrapper around the kernel's calling convention: a call that fails with EINTR (a
/// signal arrived; pgsnap's handlers record it and let the work go on) is made again here, so
/// no caller writes its own loop and none forgets one.
public enum SystemCall {
    /// Runs `call` until it does not fail with EINTR; returns its result (`-1` means see
    /// `Errno.current`). For calls that return -1 on failure: read, write, open, fsync, flock,
    /// umount2, waitpid.
    public static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }
}

import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a pgsnap run holds the run lock right now, asked without waiting: that is what
/// separates a `.partial` directory being written from one a crashed run left behind.
public enum RunLockProbe {
    /// Tries a shared, non-blocking flock on `path`; a run's exclusive lock makes it fail.
    /// A missing lock file means no run. The probe's own lock lasts only a few instructions,
    /// so a backup starting in that instant could see it; the window is as small as it gets
    /// without a lock protocol change.
    public static func isHeld(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let status = SystemCall.retrying { flock(descriptor, LOCK_SH | LOCK_NB) }
        guard status == 0 else { return errno == EWOULDBLOCK }
        _ = flock(descriptor, LOCK_UN)
        return false
    }
}

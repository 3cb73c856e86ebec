internal import CSystemShims
import Foundation
internal import SystemCalls

/// Runs hooks with posix_spawn (Foundation's Process was seen to miss child exits here when
/// threads run concurrently).
///
/// Each hook gets its own process group, so a timeout can kill everything it started, and a
/// terminal's Ctrl-C reaches pgsnap (which then decides) rather than a storage thaw half-way.
/// Its stdout and stderr go to unlinked temporary files rather than pipes: a hook that leaves
/// a daemon behind holding them open cannot block pgsnap, and nothing needs draining while it
/// runs. Only descriptors 0–2 reach it (the run lock and the PostgreSQL socket do not), it runs
/// in `/`, and signal dispositions are reset to their defaults.
public struct SpawnedHookRunner: HookRunner {
    /// Seconds between SIGTERM and SIGKILL to the hook's process group.
    public var killGrace: Double
    /// How much of each output stream is read back.
    static let tailBytes = 64 * 1024

    public init(killGrace: Double = 5) {
        self.killGrace = killGrace
    }

    public func run(
        path: String, environment: [String: String], timeout: Double,
        shouldStop: @escaping @Sendable () -> Bool
    ) -> HookResult {
        guard let out = Self.anonymousFile(), let err = Self.anonymousFile() else {
            return HookResult(ending: .cannotStart("cannot create a temporary file: \(Errno.current.description)"))
        }
        defer {
            close(out)
            close(err)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        Self.redirect(&actions, stdout: out, stderr: err)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        Self.isolate(&attributes)
        let argv = [strdup(path)] + [nil]
        let env = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + env { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, env)
        guard spawned == 0 else { return HookResult(ending: .cannotStart(Errno(spawned).description)) }

        let ending = wait(for: pid, timeout: timeout, shouldStop: shouldStop)
        return HookResult(ending: ending, stdout: Self.tail(of: out), stderr: Self.tail(of: err))
    }

    /// stdin from /dev/null, stdout and stderr into pgsnap's anonymous files, no other
    /// descriptor inherited (the run lock among them), and `/` as the working directory.
    private static func redirect(_ actions: inout posix_spawn_file_actions_t, stdout out: Int32, stderr err: Int32) {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        pgsnap_spawn_addclosefrom(&actions, 3)
        pgsnap_spawn_addchdir(&actions, "/")
    }

    /// A process group of its own (a timeout kills the hook's children too), no blocked
    /// signals, and the signals pgsnap handles back to their defaults.
    private static func isolate(_ attributes: inout posix_spawnattr_t) {
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    /// Polls the hook until it exits, the deadline passes or pgsnap is asked to stop.
    private func wait(for pid: pid_t, timeout: Double, shouldStop: () -> Bool) -> HookResult.Ending {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return Self.ending(status) }
            if reaped == -1 && errno != EINTR { return .cannotStart("waitpid: \(Errno.current.description)") }
            if Date() >= deadline {
                terminateGroup(pid)
                return .timedOut
            }
            if shouldStop() {
                terminateGroup(pid)
                return .stopped
            }
            usleep(20_000)
        }
    }

    /// SIGTERM to the whole group, then SIGKILL once `killGrace` has passed with any member
    /// left (children that ignore SIGTERM, or a leader that traps it).
    private func terminateGroup(_ pid: pid_t) {
        kill(-pid, SIGTERM)
        var status: Int32 = 0
        var leaderGone = false
        let deadline = Date().addingTimeInterval(killGrace)
        while Date() < deadline {
            if !leaderGone && waitpid(pid, &status, WNOHANG) == pid { leaderGone = true }
            if leaderGone && kill(-pid, 0) != 0 { return }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        if !leaderGone { _ = SystemCall.retrying { waitpid(pid, &status, 0) } }
        // SIGKILL is delivered asynchronously: give the group a moment to be gone, so nothing it
        // started still writes when the run goes on (zombies an init that does not reap keeps
        // around end this wait after a second).
        let killed = Date().addingTimeInterval(1)
        while kill(-pid, 0) == 0 && Date() < killed { usleep(10_000) }
    }

    private static func ending(_ status: Int32) -> HookResult.Ending {
        (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
    }

    /// A read-write file with no name, closed on exec in pgsnap (only its dup2 copy reaches the hook).
    private static func anonymousFile() -> Int32? {
        var template = Array((NSTemporaryDirectory() + "/pgsnap-hook-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { pgsnap_mkostemp($0.baseAddress!, O_CLOEXEC) }
        guard descriptor >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return descriptor
    }

    /// The last lines of what was written to `descriptor` (at most `tailBytes` of it).
    private static func tail(of descriptor: Int32) -> [String] {
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return [] }
        let start = max(0, size - off_t(tailBytes))
        var buffer = [UInt8](repeating: 0, count: Int(size - start))
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, start) }
        guard count > 0 else { return [] }
        var lines = String(decoding: buffer.prefix(count), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if start > 0 { lines.removeFirst() }  // cut mid-line
        if lines.last == "" { lines.removeLast() }
        return Array(lines.suffix(HookResult.maximumLines))
    }
}

import CSystemShims
public import Foundation
import SystemCalls
public import TargetLayout

#if canImport(Glibc)
    import Glibc
#endif

/// The storage system's one command `pgsnap snapshot-exec` runs inside the freeze: its own
/// stdin, stdout and stderr (the caller sees what it says), the `PGSNAP_*` variables added to
/// pgsnap's environment, and a process group of its own, which a signal to pgsnap or the
/// deadline ends (SIGTERM, then SIGKILL 5 s later).
public enum SnapshotCommand {
    /// How the command ended: its exit code, 128 + the signal that killed it, or 127 when it
    /// could not start (as a shell says it).
    public struct Ending: Sendable, Equatable {
        public var exitCode: Int32
        public var description: String
    }

    public static func run(
        _ arguments: [String], variables: [String: String], deadline: Date, stop: StopToken
    ) -> Ending {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        var environment = ProcessInfo.processInfo.environment
        environment.merge(variables) { _, new in new }
        let argv = arguments.map { strdup($0) } + [nil]
        let env = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + env { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], nil, &attributes, argv, env)
        guard spawned == 0 else {
            return Ending(exitCode: 127, description: "could not be started: \(Errno(spawned).description)")
        }
        return wait(for: pid, deadline: deadline, stop: stop)
    }

    private static func wait(for pid: pid_t, deadline: Date, stop: StopToken) -> Ending {
        var status: Int32 = 0
        var terminatedAt: Date?
        while true {
            let result = SystemCall.retrying { waitpid(pid, &status, WNOHANG) }
            if result == pid { break }
            if terminatedAt == nil, stop.isStopped || Date() >= deadline {
                kill(-pid, SIGTERM)
                terminatedAt = Date()
            } else if let terminatedAt, Date().timeIntervalSince(terminatedAt) > 5 {
                kill(-pid, SIGKILL)
            }
            usleep(20_000)
        }
        let late = terminatedAt != nil && !stop.isStopped ? " (after the freeze timeout)" : ""
        if status & 0x7f == 0 {
            let code = (status >> 8) & 0xff
            return Ending(exitCode: code, description: "exited \(code)\(late)")
        }
        let signal = status & 0x7f
        return Ending(exitCode: 128 + signal, description: "was killed by signal \(signal)\(late)")
    }
}

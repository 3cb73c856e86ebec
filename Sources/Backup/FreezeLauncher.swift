import CSystemShims
public import Configuration
import Foundation
import SystemCalls
public import TargetLayout

#if canImport(Glibc)
    import Glibc
#endif

/// Starts the freeze holder: the pgsnap executable again, with the same arguments and
/// `--holder 3`, detached in a session of its own (it outlives the storage hook that ran
/// `freeze`), stdin and stdout on /dev/null, stderr appended to `<run_directory>/freeze.log`,
/// and descriptor 3 a pipe on which it writes one `FreezeReply` once backup mode is active.
public struct FreezeLauncher {
    let pid: pid_t
    private let pipe: Int32

    /// The holder's descriptor for its one startup reply.
    public static let readyDescriptor: Int32 = 3

    public static func start(executable: String, arguments: [String], settings: Settings) throws -> FreezeLauncher {
        if mkdir(settings.runDirectory, 0o700) != 0 && errno != EEXIST {
            throw BackupError(
                code: .runDirectory, detail: "cannot create \(settings.runDirectory)",
                underlying: Errno.current.description)
        }
        var ends: [Int32] = [0, 0]
        guard Glibc.pipe(&ends) == 0 else {
            throw FreezeError(
                code: .holderFailed, detail: "cannot create a pipe", underlying: Errno.current.description)
        }
        // Neither end may leak into libpq's or a hook's children; dup2 gives the holder its own.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(ends[1]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        redirect(&actions, log: settings.runDirectory + "/freeze.log", ready: ends[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, pgsnap_spawn_setsid_flags(Int16(POSIX_SPAWN_SETSIGMASK)))
        let argv = ([executable] + arguments + ["--holder", "\(readyDescriptor)"]).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            close(ends[0])
            throw FreezeError(
                code: .holderFailed, detail: "cannot start \(executable)", underlying: Errno(spawned).description)
        }
        return FreezeLauncher(pid: pid, pipe: ends[0])
    }

    /// stdin and stdout /dev/null, stderr the log, `ready` as descriptor 3, nothing else.
    private static func redirect(_ actions: inout posix_spawn_file_actions_t, log: String, ready: Int32) {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        posix_spawn_file_actions_adddup2(&actions, ready, readyDescriptor)
        pgsnap_spawn_addclosefrom(&actions, readyDescriptor + 1)
        pgsnap_spawn_addchdir(&actions, "/")
    }

    /// The holder's startup reply. A signal to this process is passed on to the holder, which
    /// cancels what it waits for (the checkpoint) and tears down; then its reply says so.
    public func waitForReady(stop: StopToken) throws -> FreezeReply {
        defer { close(pipe) }
        var line = Data()
        var forwarded = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while line.count <= FreezeReply.maximumBytes {
            if let signal = stop.signal(), !forwarded {
                kill(pid, signal)
                forwarded = true
            }
            var poll = pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 100) == 1 else { continue }
            let count = read(pipe, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            line.append(contentsOf: buffer[0..<count])
        }
        guard let end = line.firstIndex(of: UInt8(ascii: "\n")), let reply = FreezeReply.decode(line.prefix(upTo: end))
        else {
            reap()
            throw FreezeError(
                code: .holderFailed, detail: "the freeze holder exited without saying whether backup mode started")
        }
        if let failure = reply.failure {
            reap()
            throw failure
        }
        return reply
    }

    /// A holder that failed exits at once; reaping it keeps no zombie. A holder that froze is
    /// left to run (init reaps it once this process exits).
    private func reap() {
        var status: Int32 = 0
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(20_000)
        }
    }
}

public import Configuration
import ExitStatus
import Foundation
public import TargetLayout

#if canImport(Glibc)
    import Glibc
#endif

/// How `thaw` and `freeze --status` reach the holder, and how every command finds out that a
/// holder died: a socket nobody listens on, or a state file nobody holds the lock for.
public enum FreezeClient {
    /// The holder's answer to `request`. Throws `notFrozen` when nothing is held, `holderDied`
    /// (after removing what it left) when its holder is gone, and the holder's own failure.
    public static func ask(
        _ request: FreezeRequest, settings: Settings, stop: StopToken, log: (String) -> Void
    ) throws -> FreezeReply {
        let socket: FreezeSocket
        do {
            socket = try FreezeSocket.connect(to: settings.freezeSocketPath)
        } catch {
            if let died = try removeDeadHolder(settings, log: log) { throw died }
            throw FreezeError(
                code: .notFrozen, detail: "no freeze is held (nothing answers on \(settings.freezeSocketPath))")
        }
        guard socket.write(request.encoded()) else {
            throw FreezeError(code: .protocol, detail: "the freeze holder closed its socket before the request")
        }
        // A thaw writes the record: it may take as long as the window's WAL takes to compress.
        let wait: Double = request.operation == .thaw ? 3600 : 10
        guard let line = socket.readLine(limit: FreezeReply.maximumBytes, wait: wait, stop: { stop.isStopped }),
            let reply = FreezeReply.decode(line)
        else {
            if let signal = stop.signal() {
                throw BackupError(
                    code: .interrupted,
                    detail: "interrupted by signal \(signal); the freeze holder goes on with the request")
            }
            throw FreezeError(code: .protocol, detail: "the freeze holder gave no valid answer")
        }
        if let failure = reply.failure { throw failure }
        return reply
    }

    /// What a dead holder left (its socket, state file and partial record), removed under the
    /// run lock; the error that says so, or nil when no holder ever ran or another run holds
    /// the lock (then it is not ours to judge).
    static func removeDeadHolder(_ settings: Settings, log: (String) -> Void) throws -> FreezeError? {
        let socketExists = access(settings.freezeSocketPath, F_OK) == 0
        let stateData = FileManager.default.contents(atPath: settings.freezeStatePath)
        guard socketExists || stateData != nil else { return nil }
        guard let lock = try? RunLock.take(settings) else { return nil }
        defer { withExtendedLifetime(lock) {} }
        let state = stateData.flatMap { FreezeReply.decode($0.prefix { $0 != UInt8(ascii: "\n") }) }
        unlink(settings.freezeSocketPath)
        unlink(settings.freezeStatePath)
        if let state, !state.ok {
            // The holder ended the freeze itself (watchdog, signal) and said why: told once.
            let recorded = state.directory.map { " (failed run recorded in \(Echo.value($0)))" } ?? ""
            return FreezeError(
                code: .notFrozen,
                detail:
                    "no freeze is held: freeze \(Echo.value(state.id ?? "?")) ended: \(Echo.value(state.error ?? "?"))\(recorded)"
            )
        }
        if let target = settings.target {
            Leftovers.removePartialBackups(in: target, now: Date(), log: log)
        }
        let who = state.map { "pid \($0.pid ?? 0), backup ID \(Echo.value($0.id ?? "?"))" } ?? "unknown"
        return FreezeError(
            code: .holderDied,
            detail: "the freeze holder (\(who)) died without a thaw; its socket, lock and partial record were removed")
    }

    /// For `freeze` and `cleanup`: what a dead holder left, removed and described in one line.
    public static func removeLeftovers(_ settings: Settings, log: (String) -> Void) -> String? {
        guard (try? FreezeSocket.connect(to: settings.freezeSocketPath)) == nil else { return nil }
        return (try? removeDeadHolder(settings, log: log))??.message
    }
}

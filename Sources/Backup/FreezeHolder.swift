public import Configuration
import ExitStatus
import Foundation
import SystemCalls
import TargetLayout

#if canImport(Glibc)
    import Glibc
#endif

/// The process behind `pgsnap freeze`: it owns the one session whose backup mode a storage
/// snapshot needs (PostgreSQL 15+ ends backup mode with the session that started it, so two
/// short hook processes cannot share it), answers `status` and `thaw` on its socket, and ends
/// backup mode itself when thaw never comes (`freeze_timeout`), a signal arrives or the server
/// ends the session. Every way out runs the backup's teardown.
public final class FreezeHolder {
    private let settings: Settings
    private let environment: BackupEnvironment
    private let run: BackupRun
    private let log: @Sendable (String) -> Void
    private var context: BackupContext
    private var deadline = Date.distantFuture
    /// Receives the freeze's backup ID once it is chosen (BackupRun.onBackupID).
    public var onBackupID: (@Sendable (String) -> Void)? {
        get { run.onBackupID }
        set { run.onBackupID = newValue }
    }

    public init(
        settings: Settings, environment: BackupEnvironment, pgsnapVersion: String,
        log: @escaping @Sendable (String) -> Void
    ) {
        var settings = settings
        settings.snapshot = .none
        self.settings = settings
        self.environment = environment
        self.log = log
        run = BackupRun(settings: settings, environment: environment, pgsnapVersion: pgsnapVersion, log: log)
        context = BackupContext(startTime: environment.clock())
    }

    /// Freezes, tells `ready` (once: backup mode is active, or why not), then serves until the
    /// freeze ends. Returns the exit status the holder ends with.
    public func hold(ready: (FreezeReply) -> Void) -> Int32 {
        var socket: FreezeSocket?
        do {
            try run.freezeStages(&context)
            socket = try FreezeSocket.listen(at: settings.freezeSocketPath)
            try writeState()
        } catch {
            let reply = FreezeReply(failure: error, signal: environment.stop.signal())
            // Only a holder that listens owns the socket: a refused one (lock busy) must not
            // remove the socket of the freeze that is held.
            if socket != nil { removeSocketAndState() }
            run.endFreeze(failure: error)
            ready(reply)
            return reply.exitStatus ?? 1
        }
        ready(state())
        return serve(socket!)
    }

    /// Until thaw, the watchdog, a signal or the server ends the freeze.
    private func serve(_ socket: FreezeSocket) -> Int32 {
        while true {
            let ending: FreezeError?
            if environment.stop.isStopped {
                ending = nil
            } else if environment.clock() >= deadline {
                ending = FreezeError(
                    code: .thawNeverCame,
                    detail:
                        "thaw never came within freeze_timeout (\(settings.freezeTimeout) s): the watchdog ended backup mode"
                )
            } else if run.sessionLost {
                ending = FreezeError(
                    code: .holderFailed, detail: "the server ended the freeze's session, and with it backup mode",
                    status: .postgres)
            } else {
                guard let peer = socket.accept(timeout: 0.2) else { continue }
                if let status = answer(peer) { return status }
                continue
            }
            let error: any Error = ending ?? BackupError(code: .interrupted, detail: "interrupted")
            let reply = FreezeReply(failure: error, signal: environment.stop.signal())
            log("freeze \(context.id) ended: \(reply.error ?? "")")
            removeSocketAndState()
            run.endFreeze(failure: error)
            leaveEnding(reply)
            return ending?.exitStatus.rawValue ?? ExitStatus.interrupted.rawValue
        }
    }

    /// One request; the exit status once a thaw ended the freeze, nil to go on serving.
    private func answer(_ peer: FreezeSocket) -> Int32? {
        let line = peer.peerIsTrusted ? peer.readLine(limit: FreezeRequest.maximumBytes, wait: 2) : Data("-".utf8)
        // A connection closed without a word is a command checking that the holder lives.
        guard let line else { return nil }
        guard let request = FreezeRequest.decode(line) else {
            let error = FreezeError(code: .protocol, detail: "the freeze holder refused a malformed request")
            peer.write(FreezeReply(failure: error, signal: nil).encoded())
            log(error.message)
            return nil
        }
        switch request.operation {
        case .status:
            peer.write(state().encoded())
            return nil
        case .thaw:
            let reply = thaw(snapshotName: request.snapshotName)
            peer.write(reply.encoded())
            return reply.ok ? 0 : (reply.exitStatus ?? 1)
        case .abort:
            let exitCode = request.exitCode ?? 1
            let error = FreezeError(
                code: .snapshotCommandFailed, detail: request.reason ?? "the snapshot command failed",
                commandExitCode: exitCode)
            log("freeze \(context.id) aborted: \(error.message)")
            removeSocketAndState()
            run.endFreeze(failure: error)
            var reply = FreezeReply(ok: true)
            reply.id = context.id
            reply.directory = run.failedRunDirectory
            peer.write(reply.encoded())
            return exitCode
        }
    }

    /// Backup mode ends, the record is committed, and only then are the session, slot, lock,
    /// socket and state released, so a thaw that succeeded leaves nothing of the freeze.
    private func thaw(snapshotName: String?) -> FreezeReply {
        let outcome = Result { try run.thawStages(&context, snapshotName: snapshotName) }
        removeSocketAndState()
        switch outcome {
        case .success(let record):
            run.endFreeze(failure: nil)
            var reply = state()
            reply.stopLSN = record.stopLSN
            reply.windowSeconds = record.backupModeSeconds
            reply.secondsLeft = nil
            reply.snapshotName = snapshotName
            reply.directory = (try? settings.requiredTarget()).map { $0 + "/" + record.id }
            log("thawed: \(record.id) committed, backup mode lasted \(record.backupModeSeconds) s")
            return reply
        case .failure(let error):
            let reply = FreezeReply(failure: error, signal: environment.stop.signal())
            run.endFreeze(failure: error)
            return reply
        }
    }

    /// What `status` answers, and what the state file keeps for a `thaw` that finds the holder dead.
    private func state() -> FreezeReply {
        var reply = FreezeReply(ok: true)
        reply.id = context.id
        reply.startLSN = context.started?.lsn.description
        reply.since = context.backupModeStart
        reply.timeoutSeconds = settings.freezeTimeout
        reply.secondsLeft = max(0, deadline.timeIntervalSince(environment.clock()))
        reply.pid = getpid()
        if let plan = context.plan {
            reply.dataDirectory = plan.report.server?.dataDirectory
            reply.tablespaces = plan.sources.filter { $0.directory.role == .tablespace }.map(\.directory.path)
            reply.volumes = run.externalSnapshot(plan, snapshotName: nil).volumes
        }
        return reply
    }

    private func writeState() throws {
        deadline = (context.backupModeStart ?? environment.clock()).addingTimeInterval(Double(settings.freezeTimeout))
        unlink(settings.freezeStatePath)
        try Durability.writeNew(state().encoded(), to: settings.freezeStatePath)
    }

    /// Why the freeze ended without a thaw, in the state file, so the thaw that comes too late
    /// says so (and that its snapshot is not restorable) instead of only "not frozen".
    private func leaveEnding(_ reply: FreezeReply) {
        var ending = reply
        ending.id = context.id
        ending.directory = run.failedRunDirectory
        try? Durability.writeNew(ending.encoded(), to: settings.freezeStatePath)
    }

    private func removeSocketAndState() {
        unlink(settings.freezeSocketPath)
        unlink(settings.freezeStatePath)
    }
}

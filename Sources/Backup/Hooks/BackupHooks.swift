public import ExitStatus
import Foundation

/// The hooks of one run, and the rules pairing their events: a `pre-*` hook that fails or
/// times out fails the run (exit 11), and every `post-*` event whose `pre-*` event's turn came
/// runs whatever happened in between, with the outcome; a failing `post-*` hook is a warning.
///
/// Without `hook_directory` every call is a no-op, so the stages call it unconditionally.
public final class BackupHooks {
    /// The variables every hook gets besides its own (`PGSNAP_EVENT`, `PGSNAP_STATUS`, …).
    /// Hooks get nothing else from pgsnap's environment: not PGPASSWORD, not the conninfo.
    public private(set) var context: [String: String]
    private let directory: HookDirectory?
    private let timeout: Double
    private let runner: any HookRunner
    private let log: (String) -> Void
    private let warn: (String) -> Void
    /// The `pre-*` events whose turn came, so the matching `post-*` events must run.
    public private(set) var pending: Set<HookEvent> = []

    public static let path = "/usr/sbin:/usr/bin:/sbin:/bin"

    /// Checks `directory` and every hook in it now (exit 3 when one is unsafe).
    public init(
        directory: String?, timeout: Double, runner: any HookRunner, context: [String: String],
        log: @escaping (String) -> Void, warn: @escaping (String) -> Void
    ) throws(HookError) {
        self.directory = try directory.map { path throws(HookError) in try HookDirectory(path: path, warn: warn) }
        self.timeout = timeout
        self.runner = runner
        self.context = context
        self.log = log
        self.warn = warn
    }

    /// Adds or replaces variables for the hooks still to come (nil removes one).
    public func set(_ name: String, _ value: String?) {
        context[name] = value
    }

    /// Runs a `pre-*` hook; throws `HookError` (exit 11) when it fails, times out or cannot start.
    public func pre(_ event: HookEvent, stop: @escaping @Sendable () -> Bool = { false }) throws(HookError) {
        precondition(event.isPre)
        pending.insert(event)
        guard let result = try run(event, extra: [:], stop: stop) else { return }
        guard !result.outcome.succeeded else { return }
        for line in result.outcome.stderr { warn("hook \(event.rawValue): \(line)") }
        throw HookError(
            code: result.code, event: event, path: result.path, detail: result.detail,
            stderrTail: result.outcome.stderr)
    }

    /// Runs a `post-*` hook if its `pre-*` event's turn came, with the outcome of what lay in
    /// between; a failure is only a warning. Never cut short by a signal: a thaw must finish.
    public func post(_ event: HookEvent, failure: (message: String, status: ExitStatus)?, extra: [String: String] = [:])
    {
        precondition(!event.isPre)
        guard pending.remove(Self.opening(event)) != nil else { return }
        var variables = extra
        variables["PGSNAP_STATUS"] = failure == nil ? "success" : "failure"
        variables["PGSNAP_EXIT_STATUS"] = String(failure?.status.rawValue ?? 0)
        if let failure { variables["PGSNAP_ERROR"] = Self.oneLine(failure.message) }
        let result: (outcome: HookResult, path: String, code: HookError.Code, detail: String)?
        do {
            result = try run(event, extra: variables, stop: { false })
        } catch {
            warn("\(error.message); it did not run")
            return
        }
        guard let result, !result.outcome.succeeded else { return }
        for line in result.outcome.stderr { warn("hook \(event.rawValue): \(line)") }
        warn("\(event.rawValue) hook \(result.path) \(result.detail); the run's outcome is unchanged")
    }

    /// The `pre-*` event a `post-*` event closes.
    static func opening(_ event: HookEvent) -> HookEvent {
        switch event {
        case .postSnapshot: return .preSnapshot
        case .postBackup: return .preBackup
        default: return event
        }
    }

    /// What a hook sees of an error message: one line, bounded.
    static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 1000 ? String(flat.prefix(1000)) + "…" : flat
    }

    private func run(_ event: HookEvent, extra: [String: String], stop: @escaping @Sendable () -> Bool)
        throws(HookError) -> (outcome: HookResult, path: String, code: HookError.Code, detail: String)?
    {
        guard let directory, directory.hooks[event] != nil,
            let path = try HookDirectory.executable(event, in: directory.path, warn: warn)
        else { return nil }
        var environment = context.merging(extra) { $1 }
        environment["PGSNAP_EVENT"] = event.rawValue
        environment["PATH"] = Self.path
        log("hook \(event.rawValue): running \(path)")
        let started = Date()
        let outcome = runner.run(path: path, environment: environment, timeout: timeout, shouldStop: stop)
        for line in outcome.stdout { log("hook \(event.rawValue): \(line)") }
        if outcome.succeeded {
            for line in outcome.stderr { log("hook \(event.rawValue): \(line)") }
            log(String(format: "hook \(event.rawValue): done in %.1f s", Date().timeIntervalSince(started)))
        }
        let (code, detail): (HookError.Code, String)
        switch outcome.ending {
        case .exited(let status): (code, detail) = (.failed, "exited with status \(status)")
        case .signalled(let signal): (code, detail) = (.failed, "was killed by signal \(signal)")
        case .timedOut:
            (code, detail) = (.timedOut, "timed out after \(Int(timeout)) s and was killed with its process group")
        case .stopped: (code, detail) = (.failed, "was stopped because pgsnap was interrupted")
        case .cannotStart(let reason): (code, detail) = (.cannotStart, "cannot be started: \(reason)")
        }
        return (outcome, path, code, detail)
    }
}

internal import Foundation

/// What the metrics file says about each command's last run: read back from the previous file,
/// because the catalog keeps no record of a verify or a prune, and a backup that failed before
/// it wrote anything leaves none either.
public struct CommandHistory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// When the last run ended (seconds since the epoch).
        public var lastAttempt: Double
        /// When the last run that exited 0 ended; nil if none is known.
        public var lastSuccess: Double?
        public var exitStatus: Int32
        public var durationSeconds: Double
    }

    public private(set) var entries: [MetricsCommand: Entry] = [:]

    public init() {}

    /// The runs described in `samples` for `target`; lines of another target (a file shared by
    /// two configurations) or of unknown commands are dropped.
    public init(samples: [Sample], target: String) {
        var attempts: [MetricsCommand: Double] = [:]
        var successes: [MetricsCommand: Double] = [:]
        var statuses: [MetricsCommand: Int32] = [:]
        var durations: [MetricsCommand: Double] = [:]
        for sample in samples where sample.label(MetricNames.targetLabel) == target && sample.value.isFinite {
            guard let command = sample.label(MetricNames.commandLabel).flatMap(MetricsCommand.init(rawValue:)) else {
                continue
            }
            switch sample.name {
            case MetricNames.lastAttempt: attempts[command] = sample.value
            case MetricNames.lastSuccess: successes[command] = sample.value
            case MetricNames.lastExitStatus:
                if let status = Int32(exactly: sample.value) { statuses[command] = status }
            case MetricNames.lastDuration: durations[command] = sample.value
            default: continue
            }
        }
        // A command counts only with its attempt and exit status: half an entry is no history.
        for (command, attempt) in attempts {
            guard let status = statuses[command] else { continue }
            entries[command] = Entry(
                lastAttempt: attempt, lastSuccess: successes[command], exitStatus: status,
                durationSeconds: durations[command] ?? 0)
        }
    }

    /// The history after `run`: its command's entry replaced, its last success kept if it failed.
    public func recording(_ run: CommandRun) -> CommandHistory {
        var next = self
        let ended = run.finishedAt.timeIntervalSince1970
        next.entries[run.command] = Entry(
            lastAttempt: ended,
            lastSuccess: run.exitStatus == 0 ? ended : entries[run.command]?.lastSuccess,
            exitStatus: run.exitStatus,
            durationSeconds: max(0, run.finishedAt.timeIntervalSince(run.startedAt)))
        return next
    }
}

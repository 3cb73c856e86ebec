import Foundation
import PostgresClient
import TargetLayout

/// What the stages of one run produce, read by the stages after them: one value threaded
/// through `BackupRun`'s stages instead of values passed from call to call.
struct BackupContext {
    /// When the run began: the backup ID and backup.json's start time.
    let startTime: Date
    var id = ""
    var plan: BackupPlan?
    var started: BackupMode.Started?
    /// When backup mode began (the environment's clock), for `backup_mode_seconds`.
    var backupModeStart: Date?
    /// The one place the end of backup mode is kept: set by `stop` with snapshots, by `stream`
    /// without.
    var stopped: BackupMode.Stopped?
    var backupModeSeconds: Double?
    var backupModeWindow: BackupRecord.BackupModeWindow?
    /// `<id>.partial` in the target, once created.
    var partial: String?
    var copy = BackupRun.Copy()
    var walSegments: [String] = []
    var record: BackupRecord?

    init(startTime: Date) {
        self.startTime = startTime
    }

    /// What an earlier stage produced. Missing only if the stages ran out of order, which is a
    /// bug: an internal error rather than a crash.
    func require<Value>(_ value: Value?, _ what: String) throws(BackupError) -> Value {
        guard let value else {
            throw BackupError(code: .notReady, detail: "\(what) is missing: the backup stages ran out of order")
        }
        return value
    }

    func requirePlan() throws(BackupError) -> BackupPlan { try require(plan, "the plan") }
    func requireStarted() throws(BackupError) -> BackupMode.Started { try require(started, "the start of backup mode") }
    func requireStopped() throws(BackupError) -> BackupMode.Stopped { try require(stopped, "the end of backup mode") }
    func requirePartial() throws(BackupError) -> String { try require(partial, "the partial directory") }
}

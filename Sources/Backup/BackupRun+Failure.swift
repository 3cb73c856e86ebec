import CSystemShims
import Catalog
import ExitStatus
import Foundation
import SystemCalls
import TargetLayout

extension BackupRun {
    /// Why a run failed, as the command line reports it: a signal wins over the error it
    /// caused, exactly as `pgsnap backup` prints it.
    struct Failure {
        let message: String
        let exitStatus: ExitStatus
        /// What the failed record keeps: `exitStatus`, or a snapshot command's own exit code
        /// (`snapshot-exec` fails with it).
        var exitCode: Int32 { commandExitCode ?? exitStatus.rawValue }
        private var commandExitCode: Int32?

        init(_ error: any Error, stop: StopToken) {
            if let error = error as? FreezeError, let code = error.commandExitCode, stop.signal() == nil {
                commandExitCode = code
            }
            if let signal = stop.signal() {
                message = "interrupted by signal \(signal)"
                exitStatus = .interrupted
            } else if let error = error as? any PgsnapError {
                message = error.message
                exitStatus = error.exitStatus
            } else {
                message = String(describing: error)
                exitStatus = .internalError
            }
        }
    }

    /// Turns a failed run's `<id>.partial` into `<id>.failed/` holding only a failed record, so
    /// the catalog shows that (and why) the scheduled backup did not happen, while no archive
    /// that nobody can restore from takes space.
    ///
    /// Order matters: every file goes first (also a `backup.json` of a commit that failed at
    /// its rename), then the failed record is written and synced, then the rename; at no point
    /// does anything look complete. Best effort: if any step fails (the target itself may be
    /// what broke), the partial directory is just removed, as before.
    func recordFailure(in partial: String) {
        guard let failure, let startTime else {
            try? FileManager.default.removeItem(atPath: partial)
            return
        }
        do {
            let id = String((partial as NSString).lastPathComponent.dropLast(BackupFiles.partialSuffix.count))
            for name in try FileManager.default.contentsOfDirectory(atPath: partial) {
                try FileManager.default.removeItem(atPath: partial + "/" + name)
            }
            let record = FailedRunRecord(
                id: id, label: settings.label ?? "pgsnap \(id)", startTime: startTime, stopTime: environment.clock(),
                error: failure.message, exitStatus: failure.exitCode, pgsnapVersion: pgsnapVersion)
            try Durability.writeNew(try record.encoded(), to: partial + "/" + BackupFiles.record)
            try Durability.sync(partial)
            let directory = (partial as NSString).deletingLastPathComponent
            var failed = directory + "/" + id + BackupFiles.failedSuffix
            // Never over another record: if the name is taken (another host sharing the target),
            // the record goes under the next free ID, still holding this run's own ID.
            while pgsnap_rename_noreplace(partial, failed) != 0 {
                guard errno == EEXIST || errno == ENOTEMPTY, failed.hasSuffix(id + BackupFiles.failedSuffix) else {
                    throw BackupError(
                        code: .target, detail: "cannot rename \(partial) to \(failed)",
                        underlying: Errno.current.description)
                }
                let next = BackupID.firstFree(at: BackupID.date(of: id) ?? startTime, in: directory)
                failed = directory + "/" + next + BackupFiles.failedSuffix
            }
            try Durability.sync(directory)
            log("failed run recorded in \(failed)")
            failedRunDirectory = failed
        } catch {
            log("teardown: cannot record the failed run (\(error)); removing \(partial)")
            try? FileManager.default.removeItem(atPath: partial)
        }
    }
}

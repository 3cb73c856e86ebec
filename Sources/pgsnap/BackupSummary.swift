import Backup
import ExitStatus
import Preflight
import TargetLayout

/// The one line a cron job mails: what was backed up, how big, how long, how long PostgreSQL
/// was in backup mode.
enum BackupSummary {
    static func line(_ record: BackupRecord) -> String {
        let seconds = record.stopTime.timeIntervalSince(record.startTime)
        return "pgsnap: backup \(record.id) complete: \(ByteCount(record.bytesRead)) read, "
            + "\(ByteCount(record.bytesWritten)) written (ratio \(format(record.compressionRatio))), "
            + "\(format(seconds)) s, backup mode \(format(record.backupModeSeconds)) s, "
            + "WAL \(record.startLSN)–\(record.stopLSN) on timeline \(record.timeline)"
    }

    private static func format(_ value: Double) -> String {
        String(Double(Int(value * 10)) / 10)
    }
}

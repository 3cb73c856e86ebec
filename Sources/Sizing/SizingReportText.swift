import ExitStatus
import Foundation

/// `pgsnap estimate`'s table for a person: one line per snapshot with its verdict, then the
/// figures behind it (rate, life, source) and what to do about a too-small one.
public enum SizingReportText {
    public static func render(_ report: SizingReport) -> String {
        guard !report.volumes.isEmpty else {
            return report.problems.isEmpty
                ? "nothing to estimate: a backup with these settings makes no snapshot"
                : report.problems.map { "problem: \($0.message) — \($0.hint)" }.joined(separator: "\n")
        }
        var lines = [
            pad(["SNAPSHOT OF", "TYPE", "RATE/S", "LIFE", "PROJECTED", "RECOMMENDED", "CONFIGURED", "VERDICT"])
        ]
        for volume in report.volumes {
            lines.append(
                pad([
                    volume.origin, volume.type, "\(ByteCount(UInt64(volume.bytesPerSecond)))",
                    String(format: "%.0f s", volume.snapshotLifeSeconds), "\(ByteCount(volume.projectedBytes))",
                    volume.recommendedBytes.map { "\(ByteCount($0))" }
                        ?? volume.projectedPoolPercent.map { String(format: "pool %.0f%%", $0) } ?? "-",
                    volume.configuredBytes.map { "\(ByteCount($0))" } ?? "from pool", volume.verdict.rawValue,
                ]))
        }
        lines.append("")
        let sources = report.volumes.map { "\($0.origin): rate from \($0.rateSource), life from \($0.lifeSource)" }
        lines.append("sample \(String(format: "%.1f", report.sampleSeconds)) s; " + sources.joined(separator: "; "))
        if let wal = report.walBytesPerSecond {
            lines.append("WAL \(ByteCount(UInt64(wal)))/s" + (report.walVolume.map { " (on \($0))" } ?? ""))
        }
        if let copy = report.expectedCopySeconds, let source = report.copySource {
            lines.append(String(format: "expected copy %.0f s (%@)", copy, source))
        }
        if let window = report.expectedBackupModeSeconds {
            lines.append(String(format: "expected backup-mode window %.1f s (last backups)", window))
        }
        for volume in report.volumes {
            if let peak = volume.historyPeakBytes {
                lines.append(
                    "\(volume.origin): peak in the last backups \(ByteCount(peak))"
                        + (volume.historyPeakFillPercent.map { String(format: " (%.0f%% full)", $0) } ?? ""))
            }
            lines.append(contentsOf: advice(volume).map { "\(volume.origin): \($0)" })
            if let auto = volume.autoBytes {
                lines.append(
                    "\(volume.origin): snapshot_size = auto would choose \(ByteCount(auto))"
                        + (volume.autoLimitedBy.map { " (\(autoLimit($0)))" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }

    static func advice(_ volume: VolumeEstimate) -> [String] {
        switch volume.verdict {
        case .enough: return []
        case .wasteful: return ["snapshot_size could be \(ByteCount(volume.recommendedBytes ?? 0))"]
        case .tooSmall:
            return [
                "too small by \(ByteCount(volume.shortfallBytes ?? 0)): set snapshot_size to at least \(ByteCount(volume.recommendedBytes ?? 0))"
            ]
        case .noRoom:
            return [
                "needs \(ByteCount(volume.recommendedBytes ?? 0)) but \(volume.volumeGroup) has \(ByteCount(volume.volumeGroupFreeBytes)) free: add space to the VG or back up at a quieter time"
            ]
        case .poolTooFull:
            return [
                "its pool \(volume.pool ?? "?") would pass thin_pool_danger_threshold: extend the pool or back up at a quieter time"
            ]
        }
    }

    /// What bounded an auto size, in the settings' words. The minimum is itself cut to the
    /// maximum where they cross (a small origin: 256M against 50% of 400 MiB).
    static func autoLimit(_ limit: String) -> String {
        switch limit {
        case "minimum": return "raised to snapshot_size_min, or to snapshot_size_max where that is lower"
        case "maximum": return "cut to snapshot_size_max"
        case "volume_group": return "cut to its share of the VG's free space"
        default: return limit
        }
    }

    static func pad(_ cells: [String]) -> String {
        let widths = [24, 8, 11, 7, 11, 12, 11, 0]
        return zip(cells, widths).map { cell, width in
            width == 0 ? cell : cell.padding(toLength: max(width, cell.count + 1), withPad: " ", startingAt: 0)
        }.joined()
    }
}

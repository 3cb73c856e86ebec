import Backup
import ExitStatus

/// `backup --dry-run` for a person: one line per thing a real run would do, in its order.
enum DryRunText {
    static func lines(_ report: DryRunReport) -> String {
        var lines = ["dry run: nothing was changed; a backup now would"]
        for snapshot in report.snapshots {
            let size =
                snapshot.snapshotBytes.map {
                    snapshot.snapshotSizeAuto
                        ? "auto, at least \(ByteCount($0)) (sized from a sample before backup mode)"
                        : "\(ByteCount($0))"
                } ?? "from its pool"
            lines.append(
                "  snapshot \(snapshot.origin) (\(snapshot.type), \(size)) as \(snapshot.snapshotName), "
                    + "mounted read-only at \(snapshot.mountDirectory)")
        }
        for archive in report.archives {
            lines.append("  write \(archive.archive) of \(archive.directory) from \(archive.readFrom)")
        }
        if let rate = report.maxRateBytesPerSecond {
            lines.append("  read the volumes at most \(ByteCount(rate))/s all together (max_rate)")
        }
        for hook in report.hooks { lines.append("  run the \(hook.event) hook \(hook.path)") }
        if let expected = report.expected {
            lines.append(
                "  expected, from the last \(expected.backups.count) backup(s): \(ByteCount(expected.bytesRead)) read, "
                    + "\(ByteCount(expected.bytesWritten)) written, \(Int(expected.seconds.rounded())) s")
        } else {
            lines.append("  no earlier backup of this cluster in the target to expect a size or a duration from")
        }
        return lines.joined(separator: "\n")
    }
}

import ExitStatus
import Foundation
import Storage

/// Renders a `CheckReport` as the table a person reads in a terminal.
public enum CheckReportText {
    public static func render(_ report: CheckReport) -> String {
        var lines: [String] = []
        if let server = report.server {
            lines.append(
                "PostgreSQL \(server.version)  system id \(server.systemIdentifier ?? "?")  "
                    + "wal_level=\(server.walLevel) archive_mode=\(server.archiveMode) checksums=\(server.dataChecksums ? "on" : "off")"
            )
            lines.append(
                "role \(server.role): backup functions \(yesNo(server.canRunBackupFunctions)), "
                    + "replication slot \(yesNo(server.canCreateReplicationSlot))")
            lines.append("")
        }
        if !report.directories.isEmpty {
            lines += table(
                header: ["DIRECTORY", "OID", "PATH", "MOUNT", "FS", "DEVICE", "LVM VOLUME", "TYPE", "POOL"],
                rows: report.directories.map(row))
            lines.append("")
        }
        if !report.snapshots.isEmpty {
            lines += table(
                header: ["SNAPSHOT OF", "TYPE", "ORIGIN SIZE", "SNAPSHOT SIZE", "VG FREE", "DIRECTORIES"],
                rows: report.snapshots.map { snapshot in
                    [
                        snapshot.origin.path, snapshot.origin.kind.rawValue, "\(ByteCount(snapshot.origin.sizeBytes))",
                        snapshot.sizeBytes.map {
                            snapshot.autoSized ? "auto (min \(ByteCount($0)))" : "\(ByteCount($0))"
                        }
                            ?? "from pool",
                        "\(ByteCount(snapshot.origin.volumeGroupFreeBytes))",
                        snapshot.directories.joined(separator: ","),
                    ]
                })
            lines.append("")
        }
        if let target = report.target {
            lines.append(
                "target \(target.path): " + (target.exists ? "exists" : "missing")
                    + (target.writable ? ", writable" : "") + (target.freeBytes.map { ", \(ByteCount($0)) free" } ?? "")
                    + (target.mountPoint.map { " on \($0) (\(target.filesystem ?? "?"))" } ?? ""))
        }
        if let archive = report.walArchive { lines.append(walArchiveLine(archive)) }
        for problem in report.problems {
            lines.append("PROBLEM: \(problem.message)" + (problem.hint.isEmpty ? "" : " — \(problem.hint)"))
        }
        lines.append(report.ok ? "OK: a backup can run." : "NOT READY: \(report.problems.count) problem(s).")
        return lines.joined(separator: "\n")
    }

    /// `WAL archive <dir>: archive_mode=on, archive_command calls pgsnap: yes, archiver: …, newest …`.
    static func walArchiveLine(_ archive: WALArchiveFacts) -> String {
        let calls = archive.callsPgsnap.map { $0 ? "yes" : "NO" } ?? "unknown (archive_command not readable)"
        let archiver =
            archive.archiver.map {
                "\($0.archivedCount) archived, \($0.failedCount) failed" + ($0.isFailing ? " (FAILING)" : "")
            } ?? "unknown"
        let newest =
            archive.newestSegment.map { name in
                "newest \(name), \(Int(archive.newestAgeSeconds ?? 0)) s old"
            } ?? "nothing archived yet"
        return
            "WAL archive \(archive.directory): archive_mode=\(archive.archiveMode), archive_command calls pgsnap for "
            + "this target: \(calls), archiver: \(archiver), \(newest)"
    }

    private static func row(_ entry: LocatedDirectory) -> [String] {
        let location = entry.location
        let volume = location?.logicalVolume
        return [
            entry.directory.name, entry.directory.oid.map(String.init) ?? "-", entry.directory.path,
            location?.mount?.mountPoint ?? "?", location?.mount?.filesystemType ?? "?",
            location.map { "\($0.device)" } ?? "?", volume?.path ?? "-", volume?.kind.rawValue ?? "-",
            volume?.pool ?? "-",
        ]
    }

    private static func yesNo(_ value: Bool) -> String { value ? "allowed" : "NOT allowed" }

    private static func table(header: [String], rows: [[String]]) -> [String] {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}

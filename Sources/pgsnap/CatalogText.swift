import Catalog
import ExitStatus
import Foundation
import Preflight

/// The text forms of `list`, `info` and `prune`: aligned columns and key/value blocks a DBA
/// reads in a terminal or a cron mail; scripts use `--json`.
enum CatalogText {
    /// The width `list` fits by default: a terminal, a mail, a ticket.
    static let listWidth = 100

    /// `list`: by default in `listWidth` columns (the ID is the start time; the WAL is a count
    /// of segments; PostgreSQL's version without its build; the label cut to what is left),
    /// with `wide` every column in full.
    static func list(_ catalog: BackupCatalog, wide: Bool = false) -> String {
        guard !catalog.entries.isEmpty else { return "no backups in \(catalog.target)" }
        let header =
            wide
            ? ["ID", "STATUS", "STARTED (UTC)", "DURATION", "POSTGRESQL", "READ", "WRITTEN", "WAL", "LABEL"]
            : ["ID", "STATUS", "DURATION", "PG", "READ", "WRITTEN", "WAL", "LABEL"]
        let rows = catalog.entries.map { entry -> [String] in
            let record = entry.record
            // A storage snapshot's record: complete, but restorable only --in-place on a clone.
            let status =
                record?.checksum == .mismatch
                ? "damaged" : record?.kind == "external" && entry.restorable ? "external" : entry.status.rawValue
            let read = record?.bytesRead.map { ByteCount($0).description } ?? "-"
            let written = record?.bytesWritten.map { ByteCount($0).description } ?? "-"
            let duration = entry.durationSeconds.map(duration) ?? "-"
            let label = Self.printable(record?.label ?? "-")
            guard !wide else {
                return [
                    entry.id, status, entry.startTime.map(time) ?? "-", duration, record?.postgresVersion ?? "-",
                    read, written, entry.walRange.map { "\($0.start)..\($0.stop)" } ?? "-", label,
                ]
            }
            let version = record?.postgresVersion.map { String($0.prefix { $0 != " " }) } ?? "-"
            let segments = record?.walSegments.map { String($0.count) } ?? "-"
            return [entry.id, status, duration, version, read, written, segments, label]
        }
        let lines = [header] + rows
        return cluster(catalog.owner) + "\n" + table(wide ? lines : fitLastColumn(lines, width: listWidth))
    }

    /// Cuts the last column (the label) so that every row fits `width`, marking a cut with `…`;
    /// the label keeps at least 8 characters whatever the other columns take.
    static func fitLastColumn(_ rows: [[String]], width: Int) -> [[String]] {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return rows }
        let widths = (0..<(columns - 1)).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        let room = max(8, width - widths.reduce(0, +) - 2 * (columns - 1))
        return rows.map { row in
            guard let last = row.last, last.count > room else { return row }
            return row.dropLast() + [String(last.prefix(room - 1)) + "…"]
        }
    }

    /// A label for one line of a terminal: control characters (a newline, an escape sequence a
    /// file could carry) shown as `?`.
    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    /// The first line of `list`: which cluster the target belongs to (docs/target.md).
    static func cluster(_ owner: TargetOwner) -> String {
        switch owner {
        case .bound(let binding):
            return "cluster \(binding.systemIdentifier) (target bound since \(time(binding.boundAt)) UTC)"
        case .inferred(let identifier):
            return "cluster \(identifier) (target not bound yet: its next backup binds it)"
        case .unbound:
            return "cluster unknown (target not bound yet: its next backup binds it)"
        case .mixed(let identifiers):
            return "clusters \(identifiers.joined(separator: ", ")) (target bound to none: docs/target.md)"
        }
    }

    /// Every key of backup.json, the important ones first, then the backup's files.
    static func info(_ object: [String: Any], files: [ArchiveFile]) -> String {
        let first = [
            "id", "status", "label", "start_time", "stop_time", "backup_mode_seconds", "postgresql_version",
            "system_identifier", "timeline", "start_lsn", "stop_lsn", "wal_segments", "snapshot_mode",
            "data_directory", "tablespaces", "bytes_read", "bytes_written", "compression_ratio",
        ]
        let keys = first.filter { object[$0] != nil } + object.keys.filter { !first.contains($0) }.sorted()
        var rows: [[String]] = []
        for key in keys {
            rows.append([key.replacingOccurrences(of: "_", with: " "), value(of: key, object[key] ?? NSNull())])
            if key == "stop_time", let seconds = seconds(from: object["start_time"], to: object["stop_time"]) {
                rows.append(["duration", duration(seconds)])
            }
        }
        var text = table(rows)
        text += "\n\narchives\n"
        text += table(files.map { ["  " + $0.name, ByteCount($0.bytes).description] })
        return text
    }

    static func prune(_ report: PruneReport) -> String {
        var rows = report.removed.map { [report.dryRun ? "would remove" : "removed", $0.id, $0.status.rawValue] }
        rows += report.kept.map { ["kept", $0.id, $0.status.rawValue] }
        if let wal = report.walRemoved, let first = wal.first, let last = wal.last {
            let range = first == last ? first : "\(first) .. \(last)"
            rows.append([report.dryRun ? "would expire" : "expired", "\(wal.count) WAL files", range])
        }
        return rows.isEmpty ? "nothing to prune" : table(rows)
    }

    private static func value(of key: String, _ value: Any) -> String {
        switch (key, value) {
        case ("bytes_read", let bytes as NSNumber), ("bytes_written", let bytes as NSNumber):
            return "\(ByteCount(bytes.uint64Value)) (\(bytes) bytes)"
        case ("wal_segments", let segments as [String]):
            guard let first = segments.first, let last = segments.last else { return "none" }
            return "\(first)..\(last) (\(segments.count) segments)"
        case ("tablespaces", let spaces as [[String: Any]]):
            return spaces.isEmpty
                ? "none"
                : spaces.map { "\($0["oid"] ?? "?") \($0["name"] ?? "?") \($0["location"] ?? "?")" }
                    .joined(separator: "; ")
        case ("volumes", let volumes as [[String: Any]]):
            return volumes.map { volume in
                let origin = volume["origin"] as? String ?? "live files"
                var text = "\(volume["archive"] ?? "?") from \(origin)"
                if let size = volume["snapshot_bytes"] as? NSNumber {
                    text += " (snapshot \(ByteCount(size.uint64Value))"
                    if let peak = volume["peak_fill_percent"] as? NSNumber {
                        text += ", peak fill \(String(format: "%.0f", peak.doubleValue))%"
                    }
                    text += ")"
                }
                return text
            }.joined(separator: "; ")
        case ("throughput_bytes_per_second", let rate as NSNumber):
            return "\(ByteCount(rate.uint64Value))/s"
        case ("compression_ratio", let ratio as NSNumber):
            return String(format: "%.2fx", ratio.doubleValue)
        case (let key, let seconds as NSNumber) where key.hasSuffix("_seconds"):
            return String(format: "%.2f s", seconds.doubleValue)
        case (_, let text as String):
            return text
        case (_, is NSNull):
            return "-"
        default:
            return "\(value)"
        }
    }

    private static func seconds(from start: Any?, to stop: Any?) -> Double? {
        let formatter = ISO8601DateFormatter()
        guard let start = start as? String, let stop = stop as? String, let from = formatter.date(from: start),
            let to = formatter.date(from: stop)
        else { return nil }
        return to.timeIntervalSince(from)
    }

    private static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    private static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }

    /// Left-aligned columns two spaces apart; the last column is not padded.
    private static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

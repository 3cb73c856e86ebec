public import PostgresFormat

/// backup.json against the files PostgreSQL itself wrote for the backup: `backup_label` and
/// `tablespace_map` (members of base.tar.zst), `global/pg_control` and `backup_manifest`.
///
/// The record is what pgsnap believes; these are what the restored server will believe. Any
/// disagreement means one of them was edited or belongs to another backup, and a restore
/// would start a server that refuses to start or recovers to the wrong place.
public struct BackupCrossCheck {
    public var record: BackupRecord
    public var manifest: BackupManifest?
    public var label: [UInt8]?
    public var tablespaceMap: [UInt8]?
    public var control: [UInt8]?

    public init(
        record: BackupRecord, manifest: BackupManifest?, label: [UInt8]? = nil, tablespaceMap: [UInt8]? = nil,
        control: [UInt8]? = nil
    ) {
        self.record = record
        self.manifest = manifest
        self.label = label
        self.tablespaceMap = tablespaceMap
        self.control = control
    }

    /// The system identifier WAL and pg_control must carry: backup.json's (checked against the
    /// others here), else what the manifest or pg_control says for a record without one.
    public var systemIdentifier: UInt64? {
        record.systemIdentifier.flatMap(UInt64.init) ?? manifest?.systemIdentifier
            ?? control.flatMap(Self.controlSystemIdentifier)
    }

    /// Timelines the backup's WAL may be on.
    public var timelines: Set<UInt32> {
        Set([record.timeline] + (manifest?.walRanges.map(\.timeline) ?? []))
    }

    public func problems() -> [String] {
        manifestProblems() + labelProblems() + mapProblems() + controlProblems()
    }

    public func manifestProblems() -> [String] {
        guard let manifest else { return [] }
        var problems: [String] = []
        if let recorded = record.systemIdentifier.flatMap(UInt64.init), let declared = manifest.systemIdentifier,
            recorded != declared
        {
            problems.append("backup.json names system identifier \(recorded), backup_manifest \(declared)")
        }
        guard !manifest.walRanges.isEmpty, manifest.walRanges.count <= 64 else {
            return problems + [
                "backup_manifest has \(manifest.walRanges.count) WAL ranges; a backup has 1 per timeline it spans"
            ]
        }
        let first = manifest.walRanges.min { $0.start < $1.start }!
        let last = manifest.walRanges.max { $0.end < $1.end }!
        let start = LSN(parsing: record.startLSN)
        let stop = LSN(parsing: record.stopLSN)
        if first.start != start || last.end != stop || last.timeline != record.timeline
            || manifest.walRanges.contains(where: { $0.start > $0.end })
        {
            problems.append(
                "backup_manifest's WAL-Ranges (\(describe(manifest.walRanges))) disagree with backup.json "
                    + "(timeline \(record.timeline), \(record.startLSN) to \(record.stopLSN))")
        }
        return problems
    }

    public func labelProblems() -> [String] {
        guard let label else { return [] }
        var fields: [String: String] = [:]
        for line in String(decoding: label, as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            // PostgreSQL writes "KEY: value": exactly one space, so a label's own spaces survive.
            let value = line[line.index(after: colon)...]
            if fields[key] == nil { fields[key] = String(value.hasPrefix(" ") ? value.dropFirst() : value) }
        }
        var problems: [String] = []
        let start = LSN(parsing: record.startLSN)?.value
        let labelStart = fields["START WAL LOCATION"].flatMap { LSN(parsing: $0.prefix { $0 != " " })?.value }
        if labelStart == nil || labelStart != start {
            problems.append(
                "backup_label says START WAL LOCATION \(fields["START WAL LOCATION"].map(BackupContents.quoted) ?? "(none)"), backup.json start_lsn \(record.startLSN)"
            )
        }
        let checkpoint = fields["CHECKPOINT LOCATION"].flatMap { LSN(parsing: $0)?.value }
        if let start, let stop = LSN(parsing: record.stopLSN)?.value,
            checkpoint.map({ !(start...stop).contains($0) }) ?? true
        {
            problems.append(
                "backup_label's CHECKPOINT LOCATION \(fields["CHECKPOINT LOCATION"].map(BackupContents.quoted) ?? "(none)") is not between backup.json's start_lsn and stop_lsn"
            )
        }
        let startTimeline = manifest?.walRanges.min { $0.start < $1.start }?.timeline ?? record.timeline
        if let text = fields["START TIMELINE"], UInt32(text) != startTimeline {
            problems.append(
                "backup_label says START TIMELINE \(BackupContents.quoted(text)), backup.json and backup_manifest \(startTimeline)"
            )
        }
        // A label is one line in backup_label; only a label without a line break can match.
        if !record.label.contains(where: \.isNewline), fields["LABEL"] != record.label {
            problems.append(
                "backup_label says LABEL \(fields["LABEL"].map(BackupContents.quoted) ?? "(none)"), backup.json label \(BackupContents.quoted(record.label))"
            )
        }
        return problems
    }

    /// `tablespace_map` lists `<oid> <location>` per tablespace, `\` escaping `\`, CR and LF.
    public func mapProblems() -> [String] {
        let expected = Set(record.tablespaces.map { "\($0.oid) \($0.location)" })
        var found: Set<String> = []
        var line = ""
        var escaping = false
        for character in String(decoding: tablespaceMap ?? [], as: UTF8.self) {
            if escaping {
                line.append(character)
                escaping = false
                continue
            }
            switch character {
            case "\\": escaping = true
            case "\n":
                found.insert(line)
                line = ""
            default: line.append(character)
            }
        }
        if !line.isEmpty { found.insert(line) }
        guard tablespaceMap != nil || !expected.isEmpty, found != expected else { return [] }
        let shown = found.sorted().prefix(5).map(BackupContents.quoted).joined(separator: ", ")
        return [
            "tablespace_map lists \(found.isEmpty ? "no tablespace" : shown), backup.json "
                + (expected.isEmpty
                    ? "none" : expected.sorted().prefix(5).map(BackupContents.quoted).joined(separator: ", "))
        ]
    }

    public func controlProblems() -> [String] {
        guard let control else { return [] }
        guard let identifier = Self.controlSystemIdentifier(control) else {
            return ["global/pg_control is too short to be one"]
        }
        if let recorded = record.systemIdentifier.flatMap(UInt64.init), recorded != identifier {
            return ["global/pg_control belongs to cluster \(identifier), backup.json names \(recorded)"]
        }
        return []
    }

    /// The system identifier of pg_control (its format is PostgresFormat's `ControlFile`).
    static func controlSystemIdentifier(_ control: [UInt8]) -> UInt64? {
        ControlFile.systemIdentifier(control)
    }

    private func describe(_ ranges: [WALRange]) -> String {
        ranges.prefix(3).map { "timeline \($0.timeline) \($0.start)-\($0.end)" }
            .joined(separator: ", ")
    }
}

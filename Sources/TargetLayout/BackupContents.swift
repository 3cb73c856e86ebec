internal import PostgresFormat

/// What a backup directory may contain and declare: the one rule restore enforces (it stops,
/// exit 9) and verify reports (each broken rule a problem), so that whatever verify passes a
/// restore takes, and whatever a restore would refuse verify names first.
///
/// Everything here is about inputs: backup.json's fields before any of them is used as a
/// path, an owner, a count or a range. Member names follow `MemberPath`.
public enum BackupContents {
    /// Far above any real cluster, low enough that nothing sized by them exhausts memory.
    public static let maximumTablespaces = 10_000
    public static let maximumWALSegments = 1_000_000
    public static let maximumManifestBytes = 1 << 30
    /// MAXPGPATH, the longest path PostgreSQL itself handles.
    public static let maximumPathBytes = 1024
    /// `backup_label`, `tablespace_map` and `pg_control` are a few KiB at most.
    public static let maximumHeldFileBytes = 1 << 20

    /// What is wrong with backup.json's fields, each problem one line naming the key.
    public static func recordProblems(_ record: BackupRecord) -> [String] {
        var problems: [String] = []
        func key(_ name: String, _ problem: String) { problems.append("backup.json: key '\(name)': \(problem)") }
        if let identifier = record.systemIdentifier, UInt64(identifier).map({ $0 != 0 }) != true {
            key(
                "system_identifier",
                "expected a cluster's system identifier (decimal digits), found \(quoted(identifier))")
        }
        if record.timeline == 0 { key("timeline", "expected a timeline of 1 or more, found 0") }
        let start = LSN(parsing: record.startLSN)?.value
        let stop = LSN(parsing: record.stopLSN)?.value
        if start == nil { key("start_lsn", "expected a string like 0/5000028, found \(quoted(record.startLSN))") }
        if stop == nil { key("stop_lsn", "expected a string like 0/5000028, found \(quoted(record.stopLSN))") }
        if let start, let stop, stop < start {
            key("stop_lsn", "\(record.stopLSN) is before start_lsn \(record.startLSN)")
        }
        if record.walSegments.count > maximumWALSegments {
            key("wal_segments", "lists \(record.walSegments.count) segments, more than \(maximumWALSegments)")
        } else if let bad = record.walSegments.first(where: { !MemberPath.isWALSegmentName(Substring($0)) }) {
            key("wal_segments", "expected WAL segment names like 000000010000000000000003, found \(quoted(bad))")
        }
        // PostgreSQL refuses to run as root: an owner of 0 is never what a backup recorded.
        if record.dataDirectoryOwner == 0 {
            key("data_directory_owner", "is root (0), which never owns a PostgreSQL data directory")
        }
        // Empty when the server did not report it; otherwise it must be a usable path.
        if !record.dataDirectory.isEmpty, let problem = locationProblem(record.dataDirectory) {
            key("data_directory", problem)
        }
        if record.label.utf8.count > maximumPathBytes { key("label", "is longer than \(maximumPathBytes) bytes") }
        if record.tablespaces.count > maximumTablespaces {
            key("tablespaces", "lists \(record.tablespaces.count) tablespaces, more than \(maximumTablespaces)")
            return problems
        }
        var oids: Set<UInt32> = []
        for (index, tablespace) in record.tablespaces.enumerated() {
            if !oids.insert(tablespace.oid).inserted {
                key("tablespaces[\(index)].oid", "OID \(tablespace.oid) is listed twice")
            }
            if let problem = locationProblem(tablespace.location) { key("tablespaces[\(index)].location", problem) }
            if tablespace.name.utf8.count > 63 {
                key("tablespaces[\(index)].name", "is longer than PostgreSQL's 63 bytes")
            }
        }
        return problems
    }

    /// Why `location` cannot be a directory of a restore: it must be absolute and normalized
    /// (no `.`, `..` or empty components), without control characters, at most MAXPGPATH.
    public static func locationProblem(_ location: String) -> String? {
        guard location.hasPrefix("/"), location != "/" else {
            return "expected an absolute directory, found \(quoted(location))"
        }
        guard location.utf8.count <= maximumPathBytes else { return "is longer than \(maximumPathBytes) bytes" }
        if location.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "contains control characters: \(quoted(location))"
        }
        let parts = location.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "\(quoted(location)) is not a normalized absolute path (it has '..', '.' or '//')"
        }
        return nil
    }

    /// The archives backup.json names, with their roles: `base.tar.zst`, `pg_wal.tar.zst` (always
    /// among them) and exactly one `<oid>.tar.zst` per tablespace it lists, and nothing else.
    public static func archives(of record: BackupRecord, in directory: String) -> Result<
        [StoredBackup.Archive], LayoutError
    > {
        func damaged(_ detail: String) -> Result<[StoredBackup.Archive], LayoutError> {
            .failure(LayoutError(code: .damaged, detail: "backup \(record.id): \(detail)"))
        }
        guard record.volumes.count <= record.tablespaces.count + 2 else {
            return damaged(
                "backup.json: key 'volumes': lists \(record.volumes.count) archives for \(record.tablespaces.count) tablespace(s)"
            )
        }
        var archives: [StoredBackup.Archive] = []
        for volume in record.volumes {
            let role: StoredBackup.Archive.Role
            if volume.archive == BackupFiles.baseArchive {
                role = .dataDirectory
            } else if volume.archive == BackupFiles.walArchive {
                role = .wal
            } else if let oid = BackupFiles.tablespaceOID(archive: volume.archive) {
                role = .tablespace(oid: oid)
            } else {
                return damaged("backup.json names an unknown archive \(quoted(volume.archive))")
            }
            if archives.contains(where: { $0.role == role }) {
                return damaged("backup.json names \(volume.archive) twice")
            }
            archives.append(
                StoredBackup.Archive(name: volume.archive, role: role, path: directory + "/" + volume.archive))
        }
        if !archives.contains(where: { $0.role == .wal }) {
            archives.append(
                StoredBackup.Archive(
                    name: BackupFiles.walArchive, role: .wal,
                    path: directory + "/" + BackupFiles.walArchive))
        }
        guard archives.contains(where: { $0.role == .dataDirectory }) else {
            return damaged("backup.json names no base.tar.zst")
        }
        let archived = Set(
            archives.compactMap { archive -> UInt32? in
                if case .tablespace(let oid) = archive.role { return oid }
                return nil
            })
        let listed = Set(record.tablespaces.map(\.oid))
        if let oid = listed.subtracting(archived).min() {
            return damaged("backup.json lists tablespace OID \(oid) but no archive \(oid).tar.zst")
        }
        if let oid = archived.subtracting(listed).min() {
            return damaged("backup.json names archive \(oid).tar.zst but lists no tablespace with OID \(oid)")
        }
        return .success(archives)
    }

    /// `text` in quotes with control characters escaped and cut to a readable length, for
    /// echoing a value from a backup directory into a one-line message.
    static func quoted(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars.prefix(200) {
            escaped +=
                scalar.value < 0x20 || scalar.value == 0x7f || scalar == "\"" || scalar == "\\"
                ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return "\"" + escaped + (text.unicodeScalars.count > 200 ? "...\"" : "\"")
    }
}

public import Archive
public import PostgresFormat

/// The rules for archive member names, shared by restore (which refuses to write them) and
/// verify (which reports them).
public enum MemberPath {
    /// A member name split into components, or why it is refused: absolute, `..`, empty.
    public static func components(_ path: RawPath) -> Result<[[UInt8]], RefusedPath> {
        if path.bytes.first == UInt8(ascii: "/") { return .failure(RefusedPath(reason: "is an absolute path")) }
        var parts: [[UInt8]] = []
        for part in path.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                return .failure(RefusedPath(reason: "contains '..'"))
            }
            parts.append(Array(part))
        }
        if parts.isEmpty { return .failure(RefusedPath(reason: "is empty")) }
        return .success(parts)
    }

    /// A WAL segment (`000000010000000000000003`) or timeline history file (`00000002.history`).
    public static func isWALFileName(_ name: Substring) -> Bool {
        WALFileName.isSegmentName(name) || WALFileName.isHistoryName(name)
    }

    /// The WAL archive holds segment files, timeline history files, `archive_status` and its
    /// `.done` markers, and nothing else: the one rule restore enforces and verify reports.
    public static func belongsInWALArchive(_ relative: RawPath, kind: TarMember.Kind) -> Bool {
        let name = relative.description
        let parts = name.split(separator: "/")
        switch kind {
        case .directory:
            return name == "archive_status"
        case .file:
            if parts.count == 1 { return isWALFileName(parts[0]) }
            return parts.count == 2 && parts[0] == "archive_status" && parts[1].hasSuffix(".done")
                && isWALFileName(parts[1].dropLast(5))
        default:
            return false
        }
    }

    /// The OID of a member under `pg_tblspc/<oid>` (the link itself or anything below it), or nil.
    public static func tablespaceOID(_ components: [[UInt8]]) -> UInt32? {
        guard components.count >= 2, components[0] == Array("pg_tblspc".utf8) else { return nil }
        return UInt32(String(decoding: components[1], as: UTF8.self))
    }

    /// Whether `name` is a segment (not a history file).
    public static func isWALSegmentName(_ name: Substring) -> Bool {
        WALFileName.isSegmentName(name)
    }
}

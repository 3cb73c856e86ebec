public import Archive

/// The rules for archive member names, shared by restore (which refuses to write them) and
/// verify (which reports them).
public enum MemberPath {
    /// A member name split into components, or why it is refused: absolute, `..`, empty.
    public static func components(_ path: RawPath) -> Result<[[UInt8]], RefusedPath> {
        if path.bytes.first == UInt8(ascii: "/") { return .failure(RefusedPath(reason: "is an absolute path")) }
        var parts: [[UInt8]] = []
        for part in path.bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([UInt8(ascii: ".")]) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return .failure(RefusedPath(reason: "contains '..'")) }
            parts.append(Array(part))
        }
        if parts.isEmpty { return .failure(RefusedPath(reason: "is empty")) }
        return .success(parts)
    }

    /// A WAL segment (`000000010000000000000003`) or timeline history file (`00000002.history`).
    public static func isWALFileName(_ name: Substring) -> Bool {
        let isHex: (UInt8) -> Bool = {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
        }
        let hex = name.utf8.prefix(while: isHex)
        if hex.count == 24 && name.utf8.count == 24 { return true }
        return hex.count == 8 && name.utf8.count == 16 && name.hasSuffix(".history")
    }

    /// Whether `name` is a segment (not a history file).
    public static func isWALSegmentName(_ name: Substring) -> Bool {
        name.utf8.count == 24 && isWALFileName(name)
    }
}

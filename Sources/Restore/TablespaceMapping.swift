/// `--tablespace OID=DIR` or `--tablespace NAME=DIR`: where one tablespace goes instead of its
/// original location.
public struct TablespaceMapping: Sendable, Equatable {
    public enum Selector: Sendable, Equatable {
        case oid(UInt32)
        case name(String)
    }

    public var selector: Selector
    public var directory: String

    /// Parses `OID=DIR` or `NAME=DIR`; the directory must be absolute, as PostgreSQL requires of
    /// tablespace locations.
    public init(parsing text: String) throws(RestoreError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw RestoreError(code: .invalidOption, detail: "--tablespace \(text): expected OID=DIR or NAME=DIR")
        }
        let key = String(text[..<equals])
        let directory = String(text[text.index(after: equals)...])
        guard !key.isEmpty else {
            throw RestoreError(
                code: .invalidOption, detail: "--tablespace \(text): the tablespace OID or name is empty")
        }
        guard directory.hasPrefix("/") else {
            throw RestoreError(
                code: .invalidOption, detail: "--tablespace \(text): the directory must be an absolute path")
        }
        selector = UInt32(key).map { .oid($0) } ?? .name(key)
        self.directory = Self.normalized(directory)
    }

    public init(selector: Selector, directory: String) {
        self.selector = selector
        self.directory = Self.normalized(directory)
    }

    /// Without trailing slashes, so `pg_tblspc` links and `tablespace_map` read as PostgreSQL
    /// writes them.
    static func normalized(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}

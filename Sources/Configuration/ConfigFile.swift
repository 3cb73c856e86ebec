import Foundation
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// A parsed configuration file: `key = value` lines in the syntax of `postgresql.conf`.
///
/// DBAs already edit that syntax daily, it takes comments anywhere, and a hand-written parser
/// keeps the exact line of every value for error messages.
public struct ConfigFile: Sendable {
    /// One assignment and the line it came from.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        public var line: Int
    }

    public let path: String
    public let entries: [Entry]
    /// Permission bits of the file, to refuse passwords in files others can read.
    public let mode: UInt32

    public init(path: String, entries: [Entry], mode: UInt32 = 0o600) {
        self.path = path
        self.entries = entries
        self.mode = mode
    }

    /// Reads and parses `path`.
    public static func load(path: String) throws(ConfigurationError) -> ConfigFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: Errno.current.description)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .notAFile(path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: Errno(EACCES).description)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path, mode: UInt32(info.st_mode) & 0o777)
    }

    /// Parses configuration text; `path` only labels errors.
    public static func parse(_ text: String, path: String, mode: UInt32 = 0o600) throws(ConfigurationError)
        -> ConfigFile
    {
        var entries: [Entry] = []
        var firstLine: [String: Int] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            guard let entry = try parseLine(Substring(raw), line: line, path: path) else { continue }
            if let first = firstLine[entry.key] {
                throw .duplicateKey(path: path, line: line, key: entry.key, firstLine: first)
            }
            firstLine[entry.key] = line
            entries.append(entry)
        }
        return ConfigFile(path: path, entries: entries, mode: mode)
    }

    private static func parseLine(_ raw: Substring, line: Int, path: String) throws(ConfigurationError) -> Entry? {
        var rest = raw.drop(while: \.isWhitespace)
        if rest.isEmpty || rest.first == "#" { return nil }
        let key = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
        guard !key.isEmpty else {
            throw .syntax(path: path, line: line, detail: "expected a setting name, found '\(rest.prefix(20))'")
        }
        rest = rest.dropFirst(key.count).drop(while: \.isWhitespace)
        guard rest.first == "=" else {
            throw .syntax(path: path, line: line, detail: "expected '=' after '\(key)'")
        }
        rest = rest.dropFirst().drop(while: \.isWhitespace)
        let value = try parseValue(&rest, line: line, path: path)
        rest = rest.drop(while: \.isWhitespace)
        guard rest.isEmpty || rest.first == "#" else {
            throw .syntax(path: path, line: line, detail: "unexpected '\(rest.prefix(20))' after the value of '\(key)'")
        }
        return Entry(key: key.lowercased(), value: value, line: line)
    }

    /// A value is a single-quoted string (`''` is a quote inside it) or a bare word.
    private static func parseValue(_ rest: inout Substring, line: Int, path: String) throws(ConfigurationError)
        -> String
    {
        guard rest.first == "'" else {
            let word = rest.prefix(while: { !$0.isWhitespace && $0 != "#" })
            guard !word.isEmpty else { throw .syntax(path: path, line: line, detail: "missing value") }
            rest = rest.dropFirst(word.count)
            return String(word)
        }
        rest = rest.dropFirst()
        var value = ""
        while let character = rest.first {
            rest = rest.dropFirst()
            if character == "'" {
                if rest.first == "'" {
                    value.append("'")
                    rest = rest.dropFirst()
                } else {
                    return value
                }
            } else {
                value.append(character)
            }
        }
        throw .syntax(path: path, line: line, detail: "unterminated quoted string")
    }
}

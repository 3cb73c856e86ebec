/// How a value from outside (a flag, a configuration line, a file name from a backup directory,
/// a server message) is echoed in a message: control characters escaped, so that a label with a
/// line break cannot forge a second line in cron mail or a log, and long values cut, so that a
/// 1 MiB flag cannot become a 1 MiB error line.
public enum Echo {
    /// The longest value echoed in full, in characters.
    public static let defaultLimit = 200

    /// `value` with control characters written as `\n`, `\t`, `\r` or `\u{XX}`, cut to `limit`
    /// characters with the original length said, e.g. `aaaa… (1048576 bytes)`.
    public static func value(_ value: some StringProtocol, limit: Int = defaultLimit) -> String {
        var escaped = ""
        var characters = 0
        for scalar in value.unicodeScalars {
            if characters >= limit {
                return escaped + "… (\(value.utf8.count) bytes)"
            }
            escaped += escape(scalar)
            characters += 1
        }
        return escaped
    }

    /// A whole line assembled from several values: control characters escaped, cut to `limit`.
    /// The last line of defence before anything reaches stderr.
    public static func line(_ text: some StringProtocol, limit: Int = 4096) -> String {
        value(text, limit: limit)
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}":
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default:
            return String(scalar)
        }
    }
}

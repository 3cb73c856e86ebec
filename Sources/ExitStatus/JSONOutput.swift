public import Foundation

/// How every `--json` document is written: sorted keys, pretty-printed, slashes unescaped and
/// snake_case keys. One owner, so `check`, `list`, `info`, `cleanup`, `prune`, `verify` and the
/// JSON errors cannot drift apart, and the golden-file tests read what users read.
public enum JSONOutput {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    /// The document as printed, without the trailing newline; nil when `value` cannot be
    /// encoded (a non-finite number).
    public static func render(_ value: some Encodable) -> String? {
        guard let data = try? encoder().encode(value) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

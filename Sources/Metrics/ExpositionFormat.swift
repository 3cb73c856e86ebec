/// Prometheus' text exposition format (version 0.0.4), the one place pgsnap spells it: what
/// node_exporter's textfile collector reads, and what pgsnap reads back from its previous file
/// to keep the other commands' lines.
public enum ExpositionFormat {
    /// The family's `# HELP` and `# TYPE` lines and its samples; nothing for a family without
    /// samples (a HELP with no sample only confuses a reader).
    static func render(_ family: MetricFamily) -> String {
        guard !family.samples.isEmpty else { return "" }
        var text = "# HELP \(family.name) \(escapeHelp(family.help))\n# TYPE \(family.name) gauge\n"
        for sample in family.samples {
            text += line(sample) + "\n"
        }
        return text
    }

    /// `name{label="value",…} value`.
    public static func line(_ sample: Sample) -> String {
        let labels = sample.labels.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }
        return sample.name + (labels.isEmpty ? "" : "{" + labels.joined(separator: ",") + "}") + " "
            + formatValue(sample.value)
    }

    /// A label value between double quotes: backslash, double quote and line feed are the three
    /// characters the format escapes, so a target path holding them cannot end the value early
    /// or start a forged line.
    public static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// HELP text escapes backslash and line feed only.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction (byte counts, exit statuses), others as Swift's shortest
    /// round-tripping form, which Go's ParseFloat reads; the format's own spellings of the
    /// special values.
    public static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A sample line read back: nil for comments, blank lines and anything that is not a sample
    /// in the format pgsnap writes (the file is an input: another tool may have written it).
    public static func parse(_ line: Substring) -> Sample? {
        var scanner = Scanner(Array(line.utf8))
        guard let name = scanner.name(), !name.isEmpty else { return nil }
        var labels: [Sample.Label] = []
        if scanner.skip(UInt8(ascii: "{")) {
            while !scanner.skip(UInt8(ascii: "}")) {
                guard let label = scanner.name(), scanner.skip(UInt8(ascii: "=")), let value = scanner.quoted()
                else { return nil }
                labels.append(Sample.Label(label, value))
                _ = scanner.skip(UInt8(ascii: ","))
            }
        }
        guard scanner.skip(UInt8(ascii: " ")), let text = scanner.word(), let value = parseValue(text) else {
            return nil
        }
        return Sample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        default: return Double(text)
        }
    }

    /// A cursor over one line's bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func skip(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
        mutating func name() -> String? {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                let letter =
                    (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x3A
                guard letter || (index > start && (0x30...0x39).contains(byte)) else { break }
                index += 1
            }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }

        /// A double-quoted label value, unescaped.
        mutating func quoted() -> String? {
            guard skip(UInt8(ascii: "\"")) else { return nil }
            var value: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    value.append(escaped == UInt8(ascii: "n") ? 0x0A : escaped)
                default:
                    value.append(byte)
                }
            }
            return nil
        }

        /// The value: up to the next space (a timestamp may follow) or the end.
        mutating func word() -> String? {
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: " ") { index += 1 }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
    }
}

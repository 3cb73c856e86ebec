/// The body of a pax extended header: `"<length> <keyword>=<value>\n"` records, where the
/// length counts the whole record including its own digits.
struct PaxRecords {
    private var records: [(keyword: String, value: [UInt8])] = []

    var isEmpty: Bool { records.isEmpty }

    mutating func add(_ keyword: String, _ value: [UInt8]) {
        records.append((keyword, value))
    }

    mutating func add(_ keyword: String, _ value: String) {
        add(keyword, Array(value.utf8))
    }

    func encoded() -> [UInt8] {
        var output: [UInt8] = []
        // pax values are UTF-8 unless declared otherwise; a path with other bytes says BINARY.
        // Without it bsdtar extracts such a name but exits 1 ("can't be converted from UTF-8");
        // with it GNU tar 1.34 warns that it ignores the keyword, then extracts the bytes as is
        // and exits 0. libarchive's own pax writer makes the same choice.
        let binary = records.contains { String(validating: $0.value, as: UTF8.self) == nil }
        let all = (binary ? [("hdrcharset", Array("BINARY".utf8))] : []) + records
        for (keyword, value) in all {
            let body = 1 + keyword.utf8.count + 1 + value.count + 1  // " keyword=value\n"
            var length = body + String(body).count
            if String(length).count != String(body).count { length = body + String(length).count }
            output += Array(String(length).utf8) + [UInt8(ascii: " ")] + Array(keyword.utf8) + [UInt8(ascii: "=")]
            output += value
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }
}

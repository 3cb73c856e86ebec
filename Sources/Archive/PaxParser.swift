/// Parses a pax extended header body (`"<length> <keyword>=<value>\n"` records), the inverse of
/// `PaxRecords`. Values stay bytes: a `path` may be any bytes (hdrcharset=BINARY).
enum PaxParser {
    static func parse(_ body: [UInt8]) throws(TarReadError) -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var index = 0
        while index < body.count {
            if body[index] == 0 { break }
            guard let space = body[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: body[index..<space], as: UTF8.self)),
                length > space - index, length <= body.count - index,
                body[index + length - 1] == UInt8(ascii: "\n")
            else {
                throw .malformed("bad pax record")
            }
            let record = body[(space + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else { throw .malformed("bad pax record") }
            records[String(decoding: record[..<equals], as: UTF8.self)] = Array(record[(equals + 1)...])
            index += length
        }
        return records
    }
}

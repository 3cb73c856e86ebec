internal import Archive
public import Foundation

/// The SHA-256 that protects `backup.json` against edits and damage.
///
/// The digest covers the exact bytes of the record without its checksum, so a reader checks
/// it without re-serialising anything: the sealed file is the unsealed one with the line
/// `  "checksum" : "<64 hex>",` inserted right after its opening `{`. Removing exactly that
/// line gives back the hashed bytes. A record that has a `checksum` key in any other form
/// claims protection it does not have, and counts as damaged.
public enum RecordChecksum {
    public enum Status: String, Sendable, Equatable {
        /// The checksum matches: nothing changed since pgsnap wrote the record.
        case valid
        /// No checksum key at all: written by a pgsnap from before checksums.
        case absent
        /// A checksum that does not match, or a `checksum` key not in pgsnap's form.
        case mismatch
    }

    /// What `backup.json` may weigh; a real one is a few KiB, so anything bigger is refused
    /// before it is read into memory.
    public static let maximumRecordBytes = 16 << 20

    private static let prefix = Array("{\n  \"checksum\" : \"".utf8)
    private static let digestLength = 64

    /// `body` (a JSON object as JSONEncoder writes it) with its checksum line added.
    public static func seal(_ body: Data) -> Data {
        let bytes = [UInt8](body)
        guard bytes.first == UInt8(ascii: "{") else { return body }
        var sealed = prefix + Array(digest(bytes).utf8) + Array("\",".utf8)
        if bytes.dropFirst().first != UInt8(ascii: "\n") { sealed += Array("\n".utf8) }
        return Data(sealed + bytes.dropFirst())
    }

    /// Whether `data` is a record whose checksum holds, has none, or fails it.
    public static func status(of data: Data) -> Status {
        let bytes = [UInt8](data)
        let end = prefix.count + digestLength
        if bytes.count > end + 2, bytes.starts(with: prefix),
           bytes[end] == UInt8(ascii: "\""), bytes[end + 1] == UInt8(ascii: ",")
        {
            let recorded = String(decoding: bytes[prefix.count..<end], as: UTF8.self)
            var body = [UInt8(ascii: "{")]
            body += bytes[(end + 2)...]
            return digest(body) == recorded ? .valid : .mismatch
        }
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        return object?["checksum"] == nil ? .absent : .mismatch
    }

    private static func digest(_ bytes: [UInt8]) -> String {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }
}

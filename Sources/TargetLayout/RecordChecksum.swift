public import Foundation
internal import PostgresFormat

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
        /// No checksum key at all: written by a pgsnap from before checksums. Only believed for a
        /// record the target's binding does not postdate (`status(of:binding:)`).
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

    /// `status(of:)`, judged against when the target was bound (`TargetBinding.boundAt`, nil
    /// for an unbound target): bindings and record checksums came in the same pgsnap version,
    /// so a record without a checksum that a backup finished after the target was bound cannot
    /// be an older pgsnap's, and is refused as damaged (its checksum line was removed). Guards
    /// against damage and naive edits; someone who can write the target can also reseal a
    /// record, which no checksum kept beside it can stop.
    public static func status(of data: Data, boundAt: Date?) -> Status {
        let plain = status(of: data)
        guard plain == .absent, let boundAt else { return plain }
        return writtenAfter(boundAt, data) ? .mismatch : .absent
    }

    /// Whether the record says its backup ended (or, without a stop time, started) at or after
    /// the binding was made. The first backup binds the target between its start and its stop,
    /// so its stop time is what puts it after the binding too. A record whose times do not
    /// decode is not judged here: decoding refuses it anyway.
    static func writtenAfter(_ boundAt: Date, _ data: Data) -> Bool {
        struct Times: Decodable {
            var startTime: Date?
            var stopTime: Date?
            enum CodingKeys: String, CodingKey {
                case startTime = "start_time"
                case stopTime = "stop_time"
            }
        }
        guard let times = try? RecordCoding.decoder().decode(Times.self, from: data),
            let end = times.stopTime ?? times.startTime
        else { return false }
        return boundAt <= end
    }

    /// The one line that says why a record counts as damaged.
    public static func damageDescription(of data: Data) -> String {
        status(of: data) == .absent
            ? "backup.json has no checksum, though the target was bound to its cluster before this backup ended by a pgsnap that writes one: the checksum line was removed"
            : "backup.json fails its checksum: it was edited or damaged after pgsnap wrote it"
    }

    private static func digest(_ bytes: [UInt8]) -> String {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }
}

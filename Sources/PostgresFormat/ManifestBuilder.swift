internal import Foundation
internal import Glibc
internal import Synchronization

/// Builds `backup_manifest` byte for byte as PostgreSQL's backup_manifest.c writes it, so
/// `pg_verifybackup` (and anything else that reads pg_basebackup's manifests) accepts it.
///
/// Several volume archivers run at once, each on its own thread, so `add` may be called
/// concurrently. Files are written sorted by path, whatever order they arrived in, so the same
/// backup always produces the same manifest.
public final class ManifestBuilder: Sendable {
    public let version: ManifestVersion
    private let records = Mutex<[ManifestFileRecord]>([])

    public init(version: ManifestVersion) {
        self.version = version
    }

    /// Adds files; safe to call from several threads.
    public func add(_ newRecords: [ManifestFileRecord]) {
        records.withLock { $0 += newRecords }
    }

    public func add(_ record: ManifestFileRecord) {
        add([record])
    }

    /// The files added so far, in manifest order.
    public var files: [ManifestFileRecord] {
        records.withLock { $0 }.sorted { $0.path < $1.path }
    }

    /// The complete manifest, ending with `Manifest-Checksum`: the SHA-256 of every byte
    /// before that line.
    public func render(walRanges: [WALRange]) -> [UInt8] {
        var text: [UInt8] = []
        switch version {
        case .v1:
            text += Array("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [".utf8)
        case .v2(let systemIdentifier):
            text += Array("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n".utf8)
            text += Array("\"System-Identifier\": \(systemIdentifier),\n\"Files\": [".utf8)
        }
        for (index, record) in files.enumerated() {
            text += Array((index == 0 ? "\n" : ",\n").utf8)
            text += Self.line(record)
        }
        text += Array("\n],\n\"WAL-Ranges\": [\n".utf8)
        for (index, range) in walRanges.enumerated() {
            let line =
                "\(index == 0 ? "" : ",\n")"
                + "{ \"Timeline\": \(range.timeline), \"Start-LSN\": \"\(range.start)\", "
                + "\"End-LSN\": \"\(range.end)\" }"
            text += Array(line.utf8)
        }
        text += Array("\n],\n".utf8)
        var checksum = SHA256()
        checksum.update(text)
        text += Array("\"Manifest-Checksum\": \"\(checksum.finalize())\"}\n".utf8)
        return text
    }

    // MARK: - One file

    /// `{ "Path": …, "Size": …, "Last-Modified": …, "Checksum-Algorithm": …, "Checksum": … }`
    static func line(_ record: ManifestFileRecord) -> [UInt8] {
        var line: [UInt8] = []
        if record.path.isValidUTF8 {
            line += Array("{ \"Path\": ".utf8)
            line += jsonString(record.path.bytes)
            line += Array(", ".utf8)
        } else {
            line += Array("{ \"Encoded-Path\": \"\(Hex.encode(record.path.bytes))\", ".utf8)
        }
        line += Array("\"Size\": \(record.size), \"Last-Modified\": \"\(timestamp(record.modificationTime))\"".utf8)
        if let checksum = record.checksum, record.checksumAlgorithm != .none {
            line += Array(", \"Checksum-Algorithm\": \"\(record.checksumAlgorithm.rawValue)\", ".utf8)
            line += Array("\"Checksum\": \"\(checksum)\"".utf8)
        }
        line += Array(" }".utf8)
        return line
    }

    /// PostgreSQL's `escape_json`: the usual short escapes, `\u00XX` for other control
    /// characters, everything else (UTF-8 included) as is.
    static func jsonString(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case 0x08: output += Array("\\b".utf8)
            case 0x0c: output += Array("\\f".utf8)
            case 0x0a: output += Array("\\n".utf8)
            case 0x0d: output += Array("\\r".utf8)
            case 0x09: output += Array("\\t".utf8)
            case UInt8(ascii: "\""): output += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): output += Array("\\\\".utf8)
            case ..<0x20:
                let hex = String(byte, radix: 16)
                output += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    /// `%Y-%m-%d %H:%M:%S GMT` in UTC: the manifest avoids time zones, whose rules change.
    static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "1970-01-01 00:00:00 GMT" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = buffer.withUnsafeMutableBufferPointer { storage -> Int in
            guard let base = storage.baseAddress else { return 0 }
            return strftime(base, storage.count, "%Y-%m-%d %H:%M:%S GMT", &parts)
        }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

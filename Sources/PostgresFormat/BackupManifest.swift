internal import Foundation
internal import Glibc

/// A `backup_manifest` read back: the files a backup must contain, their sizes and checksums,
/// and the WAL a restore must replay.
///
/// The manifest's own SHA-256 (`Manifest-Checksum`) is checked before anything in it is
/// believed, the way `pg_verifybackup` does: a manifest edited to match a damaged file would
/// otherwise make the damage invisible.
public struct BackupManifest: Sendable, Equatable {
    public var version: Int
    public var systemIdentifier: UInt64?
    public var files: [ManifestFileRecord]
    public var walRanges: [WALRange]

    public init(version: Int, systemIdentifier: UInt64?, files: [ManifestFileRecord], walRanges: [WALRange]) {
        self.version = version
        self.systemIdentifier = systemIdentifier
        self.files = files
        self.walRanges = walRanges
    }

    /// Parses and checks a manifest's bytes.
    public static func parse(_ bytes: [UInt8]) throws(ManifestError) -> BackupManifest {
        try verifyChecksum(bytes)
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw ManifestError.invalid("the top level is not an object")
            }
            object = parsed
        } catch let error as ManifestError {
            throw error
        } catch {
            throw .invalid("not JSON (\(error.localizedDescription))")
        }
        guard let version = object["PostgreSQL-Backup-Manifest-Version"] as? Int, version == 1 || version == 2 else {
            throw .invalid("unknown PostgreSQL-Backup-Manifest-Version")
        }
        var systemIdentifier: UInt64?
        if version >= 2 {
            guard let number = object["System-Identifier"] as? NSNumber else {
                throw .invalid("version 2 without System-Identifier")
            }
            systemIdentifier = number.uint64Value
        }
        guard let files = object["Files"] as? [[String: Any]] else { throw .invalid("no Files array") }
        var records: [ManifestFileRecord] = []
        records.reserveCapacity(files.count)
        for file in files {
            records.append(try record(file))
        }
        guard let ranges = object["WAL-Ranges"] as? [[String: Any]] else { throw .invalid("no WAL-Ranges array") }
        var walRanges: [WALRange] = []
        for range in ranges {
            guard let timeline = (range["Timeline"] as? NSNumber)?.uint32Value,
                let start = (range["Start-LSN"] as? String).flatMap({ LSN(parsing: $0) }),
                let end = (range["End-LSN"] as? String).flatMap({ LSN(parsing: $0) })
            else {
                throw .invalid("a WAL range lacks Timeline, Start-LSN or End-LSN")
            }
            walRanges.append(WALRange(timeline: timeline, start: start, end: end))
        }
        return BackupManifest(
            version: version, systemIdentifier: systemIdentifier, files: records, walRanges: walRanges)
    }

    /// The manifest rendered again after the restore changed some files (a relocated
    /// `tablespace_map`), with a fresh `Manifest-Checksum`.
    public func rendered() -> [UInt8] {
        let builder = ManifestBuilder(version: version == 1 ? .v1 : .v2(systemIdentifier: systemIdentifier ?? 0))
        builder.add(files)
        return builder.render(walRanges: walRanges)
    }

    // MARK: - Parsing helpers

    /// The checksum covers every byte up to and including the newline before the
    /// `"Manifest-Checksum"` line.
    static func verifyChecksum(_ bytes: [UInt8]) throws(ManifestError) {
        let key = Array("\n\"Manifest-Checksum\": \"".utf8)
        guard let keyStart = lastIndex(of: key, in: bytes) else {
            throw .invalid("no Manifest-Checksum")
        }
        let valueStart = keyStart + key.count
        guard let valueEnd = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else {
            throw .invalid("unterminated Manifest-Checksum")
        }
        let recorded = String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self)
        var hash = SHA256()
        bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[...keyStart])) }
        let computed = hash.finalize()
        guard recorded.lowercased() == computed else {
            throw .checksumMismatch(recorded: recorded, computed: computed)
        }
    }

    private static func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = haystack.count - needle.count
        while index >= 0 {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index -= 1
        }
        return nil
    }

    private static func record(_ file: [String: Any]) throws(ManifestError) -> ManifestFileRecord {
        let path: RawPath
        if let text = file["Path"] as? String {
            path = RawPath(text)
        } else if let encoded = file["Encoded-Path"] as? String, let bytes = Hex.decode(encoded) {
            path = RawPath(bytes: bytes)
        } else {
            throw .invalid("a file has neither Path nor a valid Encoded-Path")
        }
        guard let size = (file["Size"] as? NSNumber)?.uint64Value else {
            throw .invalid("\(path) has no Size")
        }
        guard let modified = file["Last-Modified"] as? String, let time = parseTimestamp(modified) else {
            throw .invalid("\(path) has no valid Last-Modified")
        }
        var algorithm = ChecksumAlgorithm.none
        var checksum: String?
        if let name = file["Checksum-Algorithm"] as? String {
            guard let known = ChecksumAlgorithm(name: name) else {
                throw .invalid("\(path) uses checksum algorithm \(name), which pgsnap does not support")
            }
            algorithm = known
            checksum = (file["Checksum"] as? String)?.lowercased()
            if algorithm != .none && checksum == nil { throw .invalid("\(path) has no Checksum") }
        }
        return ManifestFileRecord(
            path: path, size: size, modificationTime: time, checksumAlgorithm: algorithm,
            checksum: checksum)
    }

    /// `YYYY-MM-DD HH:MM:SS GMT`.
    static func parseTimestamp(_ text: String) -> Int64? {
        let fields = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" })
        guard fields.count == 7, fields[6] == "GMT" else { return nil }
        let numbers = fields.prefix(6).compactMap { Int32($0) }
        guard numbers.count == 6 else { return nil }
        var parts = tm()
        parts.tm_year = numbers[0] - 1900
        parts.tm_mon = numbers[1] - 1
        parts.tm_mday = numbers[2]
        parts.tm_hour = numbers[3]
        parts.tm_min = numbers[4]
        parts.tm_sec = numbers[5]
        return Int64(timegm(&parts))
    }
}

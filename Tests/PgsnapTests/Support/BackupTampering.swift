import Archive
import Foundation
import Testing

@testable import PostgresFormat

/// Damage done on purpose to copies of a real backup: flipped bytes, truncated or missing
/// archives, edited manifests, archives rewritten with changed or extra members.
enum BackupTampering {
    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Replaces `path` with `bytes`, mode 0600 like everything pgsnap writes into a backup.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// Inverts every bit of one byte (the middle one by default; negative counts from the end).
    static func flipByte(in path: String, at offset: Int? = nil) throws {
        var data = try bytes(path)
        try #require(!data.isEmpty, "\(path) is empty")
        let index = offset.map { $0 < 0 ? data.count + $0 : $0 } ?? data.count / 2
        data[index] ^= 0xff
        try write(data, to: path)
    }

    /// Keeps the first half of the file.
    static func truncateByHalf(_ path: String) throws {
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try #require(truncate(path, off_t(size / 2)) == 0, "truncate \(path)")
    }

    // MARK: - Archives

    /// The tar inside a `.tar.zst`, through the zstd command line tool (not pgsnap's code).
    static func decompressed(_ archive: String) throws -> [UInt8] {
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-tamper-")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Command.output("/usr/bin/zstd", ["-d", "-q", "-f", archive, "-o", scratch + "/archive.tar"])
        return try bytes(scratch + "/archive.tar")
    }

    /// Writes `tar` as a valid zstd frame (with content checksum) to `archive`.
    static func compress(_ tar: [UInt8], to archive: String) throws {
        let scratch = try TemporaryDirectory.make(prefix: "pgsnap-tamper-")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try write(tar, to: scratch + "/archive.tar")
        try Command.output("/usr/bin/zstd", ["-q", "-1", "-f", "--check", scratch + "/archive.tar", "-o", archive])
        chmod(archive, 0o600)
    }

    /// Decompresses, edits and recompresses an archive: the result is a well-formed zstd frame
    /// around a tar whose content no longer matches the manifest.
    static func rewrite(_ archive: String, _ edit: (inout [UInt8]) throws -> Void) throws {
        var tar = try decompressed(archive)
        try edit(&tar)
        try compress(tar, to: archive)
    }

    /// Changes one byte of member `name`'s data inside an uncompressed tar.
    static func changeByte(ofMember name: String, in tar: inout [UInt8]) throws {
        let member = try #require(try RawTar.member(name, in: tar), "no member \(name)")
        try #require(member.size > 0, "member \(name) is empty")
        tar[member.dataOffset] ^= 0x01
    }

    /// Inserts `members` (raw tar bytes) just before member `name` (so before `backup_label`,
    /// the way hostile content would hide in the middle of a real archive).
    static func insert(_ members: [UInt8], before name: String, in tar: inout [UInt8]) throws {
        let member = try #require(try RawTar.member(name, in: tar), "no member \(name)")
        tar.insert(contentsOf: members, at: member.start)
    }

    /// Removes member `name` (with any pax header in front of it) from an uncompressed tar.
    static func removeMember(_ name: String, from tar: inout [UInt8]) throws {
        let member = try #require(try RawTar.member(name, in: tar), "no member \(name)")
        tar.removeSubrange(member.start..<(member.dataOffset + (member.size + 511) / 512 * 512))
    }

    // MARK: - backup_manifest

    static func crc32c(_ contents: [UInt8]) -> String {
        var checksum = CRC32C()
        contents.withUnsafeBytes { checksum.update($0) }
        return checksum.finalize()
    }

    /// A `Files` line in PostgreSQL's format.
    static func manifestLine(path: String, contents: [UInt8]) -> String {
        "{ \"Path\": \"\(path)\", \"Size\": \(contents.count), \"Last-Modified\": \"\(RawTar.manifestModificationTime)\", "
            + "\"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"\(crc32c(contents))\" }"
    }

    /// Edits the manifest's text; with `fixChecksum`, recomputes Manifest-Checksum (the SHA-256
    /// of every byte before that line) so the edit is only visible against the archives.
    static func editManifest(_ path: String, fixChecksum: Bool, _ edit: (String) throws -> String) throws {
        let original = try String(contentsOfFile: path, encoding: .utf8)
        var text = try edit(original)
        try #require(text != original, "the manifest edit changed nothing")
        if fixChecksum { text = try withRecomputedChecksum(text) }
        try write(Array(text.utf8), to: path)
    }

    static func withRecomputedChecksum(_ text: String) throws -> String {
        let marker = try #require(text.range(of: "\"Manifest-Checksum\""), "no Manifest-Checksum line")
        let body = String(text[..<marker.lowerBound])
        var sha = SHA256()
        sha.update(Array(body.utf8))
        return body + "\"Manifest-Checksum\": \"\(sha.finalize())\"}\n"
    }

    /// Adds file lines at the top of `Files`, keeping the manifest checksum valid.
    static func addToManifest(_ path: String, files: [(path: String, contents: [UInt8])]) throws {
        try editManifest(path, fixChecksum: true) { text in
            let marker = "\"Files\": ["
            let range = try #require(text.range(of: marker), "no Files array")
            let lines = files.map { "\n" + manifestLine(path: $0.path, contents: $0.contents) + "," }.joined()
            return text.replacingCharacters(in: range, with: marker + lines)
        }
    }

    /// Rewrites the `"Size"` of the manifest line for `file`.
    static func changeManifestSize(of file: String, in text: String) throws -> String {
        let needle = "{ \"Path\": \"\(file)\", \"Size\": "
        let range = try #require(text.range(of: needle), "\(file) not in the manifest")
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        let size = try #require(Int(digits))
        let end = text.index(range.upperBound, offsetBy: digits.count)
        return text.replacingCharacters(in: range.lowerBound..<end, with: needle + String(size + 1))
    }
}

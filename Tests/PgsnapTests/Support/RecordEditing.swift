import Archive
import Foundation
import Testing

@testable import PostgresFormat

/// Edits a backup's backup.json the way someone with an editor (or a script) would, optionally
/// re-sealing it with the checksum line as docs/restore.md describes the format — computed here
/// with SHA-256 directly, not through pgsnap's own sealing code.
enum RecordEditing {
    enum Seal {
        /// Recompute the checksum: only pgsnap's other rules can catch the edit.
        case resealed
        /// Keep the checksum that was there, now stale.
        case stale
        /// Drop it, as a pgsnap from before checksums wrote backup.json.
        case none
    }

    static func object(_ path: String) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    static func edit(_ path: String, seal: Seal, _ change: (inout [String: Any]) throws -> Void) throws {
        var record = try object(path)
        let oldChecksum = record.removeValue(forKey: "checksum") as? String
        try change(&record)
        let body = [UInt8](try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]))
        try #require(body.starts(with: Array("{\n".utf8)))
        let digest: String?
        switch seal {
        case .resealed:
            var sha = SHA256()
            sha.update(body)
            digest = sha.finalize()
        case .stale:
            let kept: String = try #require(oldChecksum, "the record had no checksum to keep")
            digest = kept
        case .none: digest = nil
        }
        let sealed = digest.map { Array("{\n  \"checksum\" : \"\($0)\",".utf8) + body.dropFirst() } ?? body
        try BackupTampering.write(sealed, to: path)
    }
}

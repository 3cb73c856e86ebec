import Foundation

/// A name in the target that belongs to pgsnap: a backup ID, optionally with the suffix that
/// says which stage of its life the directory is in. Anything else in the target is not ours
/// and is never listed or touched.
struct EntryName: Equatable {
    enum Suffix: String {
        case none = ""
        case partial = ".partial"
        case failed = ".failed"
        case removing = ".removing"
    }

    let id: String
    let suffix: Suffix

    init?(_ name: String) {
        for suffix in [Suffix.partial, .failed, .removing] where name.hasSuffix(suffix.rawValue) {
            let id = String(name.dropLast(suffix.rawValue.count))
            guard Self.isID(id) else { return nil }
            self.id = id
            self.suffix = suffix
            return
        }
        guard Self.isID(name) else { return nil }
        id = name
        suffix = .none
    }

    var name: String { id + suffix.rawValue }

    /// Same rule as `BackupID.isValid` in the Backup module, which this module cannot import
    /// (Backup depends on the catalog for retention after a backup).
    static func isID(_ name: String) -> Bool {
        name.utf8.count == 16 && name.utf8.enumerated().allSatisfy { index, byte in
            switch index {
            case 8: return byte == UInt8(ascii: "T")
            case 15: return byte == UInt8(ascii: "Z")
            default: return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
        }
    }

    /// The UTC start time an ID encodes: the age of a run even when it left no readable record.
    static func date(of id: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: id)
    }
}

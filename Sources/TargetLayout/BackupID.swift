public import Foundation

/// Backup identifiers: the UTC start time, `20261124T031500Z`, which sorts by age, is valid in
/// file names and LVM names, and tells a DBA at a glance when the backup was taken.
public enum BackupID {
    public static func make(at date: Date) -> String {
        formatter().string(from: date)
    }

    /// The UTC start time an ID encodes: the age of a run even when it left no readable record.
    public static func date(of id: String) -> Date? {
        formatter().date(from: id)
    }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }

    /// Whether `name` looks like an ID (so catalog listings ignore anything else in the target).
    public static func isValid(_ name: String) -> Bool {
        name.count == 16
            && name.utf8.enumerated().allSatisfy { index, byte in
                switch index {
                case 8: return byte == UInt8(ascii: "T")
                case 15: return byte == UInt8(ascii: "Z")
                default: return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                }
            }
    }
}

extension BackupID {
    /// The ID of a run starting at `date`: its start time, or the next second no name in
    /// `target` uses yet (`<id>`, `<id>.partial`, `<id>.failed`, `<id>.removing`), so two runs
    /// in the same second get distinct IDs that still sort by start. Called under the run lock,
    /// before PostgreSQL is touched, so no other run of this host can take the ID meanwhile.
    public static func firstFree(at date: Date, in target: String?) -> String {
        let start = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        guard let target else { return make(at: start) }
        // A day of taken seconds is not a real target; stop looking rather than loop forever.
        for offset in 0..<86_400 {
            let id = make(at: start.addingTimeInterval(Double(offset)))
            let taken = EntryName.Suffix.allCases.contains { suffix in
                var info = stat()
                return lstat(target + "/" + EntryName(id: id, suffix: suffix).name, &info) == 0
            }
            if !taken { return id }
        }
        return make(at: start)
    }
}

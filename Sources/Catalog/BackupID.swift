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
        name.count == 16 && name.utf8.enumerated().allSatisfy { index, byte in
            switch index {
            case 8: return byte == UInt8(ascii: "T")
            case 15: return byte == UInt8(ascii: "Z")
            default: return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
        }
    }
}

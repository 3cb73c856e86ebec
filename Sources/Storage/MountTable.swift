import Foundation

/// The mounts visible to this process, parsed from /proc/self/mountinfo.
///
/// mountinfo rather than /proc/mounts because it carries `major:minor`, which is what stat(2)
/// reports, and it is the authority for paths that contain spaces (escaped as `\040`).
public struct MountTable: Sendable {
    public let entries: [MountEntry]

    public init(entries: [MountEntry]) {
        self.entries = entries
    }

    /// Reads /proc/self/mountinfo.
    public static func current() throws(StorageError) -> MountTable {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else {
            throw StorageError(code: .mountTableUnreadable, detail: "cannot read /proc/self/mountinfo")
        }
        return parse(text)
    }

    public static func parse(_ text: String) -> MountTable {
        MountTable(entries: text.split(separator: "\n").compactMap(parseLine))
    }

    /// The mount that holds `path` (already resolved with realpath) on `device`: the longest
    /// mount point that is a prefix of the path; later mounts win over earlier ones on the same point.
    public func mount(containing path: String, device: DeviceNumber) -> MountEntry? {
        entries.filter { $0.device == device && Self.isPath(path, inside: $0.mountPoint) }
            .enumerated()
            .max { ($0.element.mountPoint.count, $0.offset) < ($1.element.mountPoint.count, $1.offset) }?
            .element
    }

    /// Whether `path` is `directory` or lies below it (both absolute, symlinks resolved).
    public static func isPath(_ path: String, inside directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }

    private static func parseLine(_ line: Substring) -> MountEntry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard let separator = fields.firstIndex(of: "-"), separator >= 6, fields.count >= separator + 3,
            let mountID = Int(fields[0]), let device = DeviceNumber(parsing: fields[2])
        else { return nil }
        return MountEntry(
            mountID: mountID, device: device, root: unescape(fields[3]), mountPoint: unescape(fields[4]),
            options: fields[5].split(separator: ",").map(String.init),
            filesystemType: String(fields[separator + 1]), source: unescape(fields[separator + 2]))
    }

    /// mountinfo escapes space, tab, newline and backslash as three octal digits.
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = Array(field.utf8)[...]
        while let byte = rest.first {
            if byte == UInt8(ascii: "\\"), rest.count >= 4,
                let value = UInt8(String(decoding: rest.dropFirst().prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                rest = rest.dropFirst(4)
            } else {
                bytes.append(byte)
                rest = rest.dropFirst()
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

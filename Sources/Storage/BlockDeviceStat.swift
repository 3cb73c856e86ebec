import ExitStatus
import Foundation

/// The kernel's I/O counters of one block device (`/sys/dev/block/MAJ:MIN/stat`): what
/// `pgsnap estimate` samples for an origin's write rate. Sectors there are always 512 bytes,
/// whatever the device's own sector size (Documentation/block/stat.rst).
public struct BlockDeviceStat: Sendable, Equatable {
    public var sectorsRead: UInt64
    public var sectorsWritten: UInt64

    public init(sectorsRead: UInt64, sectorsWritten: UInt64) {
        self.sectorsRead = sectorsRead
        self.sectorsWritten = sectorsWritten
    }

    public var bytesWritten: UInt64 { sectorsWritten &* 512 }

    /// Parses the stat file's fields (read sectors: the 3rd, written sectors: the 7th). The
    /// line is bounded: anything longer than a few hundred bytes is not the kernel's.
    public init(parsing text: String) throws(StorageError) {
        let fields = text.utf8.count <= 1024 ? text.split(whereSeparator: \.isWhitespace) : []
        guard fields.count >= 7, let read = UInt64(fields[2]), let written = UInt64(fields[6]) else {
            throw StorageError(
                code: .pathUnavailable, detail: "unexpected block device statistics: '\(Echo.value(text, limit: 80))'")
        }
        self.init(sectorsRead: read, sectorsWritten: written)
    }

    /// The counters of `device` now.
    public static func read(_ device: DeviceNumber) throws(StorageError) -> BlockDeviceStat {
        let path = "/sys/dev/block/\(device)/stat"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw StorageError(code: .pathUnavailable, detail: "cannot read \(path)")
        }
        return try BlockDeviceStat(parsing: text)
    }
}

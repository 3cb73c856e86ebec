import Foundation

/// A byte count printed in binary units for people (`1.5 GiB`).
public struct ByteCount: CustomStringConvertible, Sendable {
    public var bytes: UInt64

    public init(_ bytes: UInt64) {
        self.bytes = bytes
    }

    public var description: String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

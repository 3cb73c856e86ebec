import Foundation

/// Block-device drivers the running kernel registered, from /proc/devices.
///
/// Checked before any libdevmapper call: on a kernel without device-mapper, libdevmapper's first
/// call creates /dev/mapper/control and then fails, which would leave a trace on the host.
public struct KernelDevices: Sendable {
    /// Block driver name → major number.
    public let blockMajors: [String: UInt32]

    public init(blockMajors: [String: UInt32]) {
        self.blockMajors = blockMajors
    }

    public static func current() -> KernelDevices {
        parse((try? String(contentsOfFile: "/proc/devices", encoding: .utf8)) ?? "")
    }

    public static func parse(_ text: String) -> KernelDevices {
        var majors: [String: UInt32] = [:]
        var inBlockSection = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Block devices:") {
                inBlockSection = true
                continue
            }
            if line.hasSuffix("devices:") {
                inBlockSection = false
                continue
            }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if inBlockSection, parts.count == 2, let major = UInt32(parts[0]) {
                majors[String(parts[1])] = major
            }
        }
        return KernelDevices(blockMajors: majors)
    }

    /// The device-mapper major, or nil when the kernel has no device-mapper.
    public var deviceMapperMajor: UInt32? { blockMajors["device-mapper"] }
}

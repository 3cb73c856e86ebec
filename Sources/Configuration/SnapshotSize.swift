/// The size of a classic (copy-on-write) snapshot: a fixed number of bytes or a share of its origin.
///
/// Thin snapshots allocate from their pool and ignore this.
public enum SnapshotSize: Sendable, Equatable, CustomStringConvertible {
    case bytes(UInt64)
    case percentOfOrigin(Double)
    /// Chosen by each backup from this cluster's history and a short sample of the origin's
    /// writes, within `snapshot_size_min` and `snapshot_size_max` (docs/sizing.md).
    case auto

    /// Parses `20%`, `512M`, `10G`, `1T` (binary units; a trailing `B` or `iB` is allowed).
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "auto" {
            self = .auto
            return
        }
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast()), percent > 0, percent <= 100 else { return nil }
            self = .percentOfOrigin(percent)
            return
        }
        var number = trimmed.uppercased()
        for suffix in ["IB", "B"] where number.hasSuffix(suffix) && number.count > suffix.count {
            number.removeLast(suffix.count)
            break
        }
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var multiplier: UInt64 = 1
        if let last = number.last, let unit = units[last] {
            multiplier = unit
            number.removeLast()
        }
        guard let value = Double(number), value > 0 else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes >= Double(1 << 20), bytes < Double(UInt64.max) else { return nil }
        self = .bytes(UInt64(bytes))
    }

    /// Bytes to reserve for a snapshot of an origin of `originBytes`; nil for `auto`, which
    /// each backup decides (the plan reserves `snapshot_size_min` until then).
    public func bytes(forOrigin originBytes: UInt64) -> UInt64? {
        switch self {
        case .bytes(let bytes): return bytes
        case .percentOfOrigin(let percent): return UInt64((Double(originBytes) * percent / 100).rounded(.up))
        case .auto: return nil
        }
    }

    public var description: String {
        switch self {
        case .bytes(let bytes): return "\(bytes)B"
        case .percentOfOrigin(let percent): return "\(percent.formatted())%"
        case .auto: return "auto"
        }
    }
}

extension Double {
    fileprivate func formatted() -> String {
        self == rounded() ? String(Int(self)) : String(self)
    }
}

#if canImport(Foundation)
    import Foundation
#endif

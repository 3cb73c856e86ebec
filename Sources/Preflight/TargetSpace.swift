import ExitStatus
import Foundation

/// Whether the target can hold the next backup: estimated from what the last complete backup
/// wrote, grown with the databases since (at its compression ratio), or, before the first
/// backup, from the databases' size uncompressed (ratio 1.0, the cautious guess).
public enum TargetSpace {
    /// What the catalog says about the last complete backup.
    public struct LastBackup: Sendable, Equatable {
        public var id: String
        public var bytesRead: UInt64?
        public var bytesWritten: UInt64?

        public init(id: String, bytesRead: UInt64?, bytesWritten: UInt64?) {
            self.id = id
            self.bytesRead = bytesRead
            self.bytesWritten = bytesWritten
        }
    }

    /// The estimated bytes of the next backup and what the estimate rests on, or nil when
    /// nothing is known to estimate from.
    public static func estimate(last: LastBackup?, databaseBytes: UInt64?) -> (bytes: UInt64, basis: String)? {
        if let last, let written = last.bytesWritten, written > 0 {
            let ratio = last.bytesRead.map { Double($0) / Double(written) } ?? 1
            let grown = databaseBytes.map { UInt64(Double($0) / max(ratio, 1)) } ?? 0
            if grown > written {
                return (
                    grown,
                    "the databases' \(ByteCount(databaseBytes ?? 0)) at the last backup's compression ratio "
                        + String(format: "%.1f", ratio)
                )
            }
            return (written, "what backup \(last.id) wrote")
        }
        guard let databaseBytes, databaseBytes > 0 else { return nil }
        return (databaseBytes, "the databases' size, uncompressed, as no complete backup is there to compare")
    }

    /// A `target_too_small` problem when the estimate exceeds the target's free space.
    public static func problem(target: TargetFacts, last: LastBackup?, databaseBytes: UInt64?) -> Problem? {
        guard target.exists, let free = target.freeBytes,
            let (needed, basis) = estimate(last: last, databaseBytes: databaseBytes), needed > free
        else { return nil }
        return Problem(
            code: "target_too_small",
            message: "backup target \(target.path) has \(ByteCount(free)) free, but the next backup needs about "
                + "\(ByteCount(needed)) (\(basis))",
            hint:
                "free space on the target (retention: keep_last, keep_days) or point --target at a larger file system",
            exitStatus: .target)
    }
}

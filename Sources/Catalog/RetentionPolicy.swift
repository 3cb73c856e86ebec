public import Foundation

/// Which complete backups to keep: the newest `keepLast`, those younger than `keepDays`, or
/// both (a backup is kept when any configured rule keeps it). The newest complete backup is
/// kept whatever the rules say, so retention can never leave a target with nothing to restore.
public struct RetentionPolicy: Sendable, Equatable {
    public var keepLast: Int?
    public var keepDays: Int?

    /// Nil when no rule is configured: pruning without a rule would have to guess.
    public init?(keepLast: Int?, keepDays: Int?) {
        guard keepLast != nil || keepDays != nil else { return nil }
        self.keepLast = keepLast
        self.keepDays = keepDays
    }

    /// Whether the complete backup at `rank` (0 = newest complete) that started at `start` stays.
    public func keeps(rank: Int, start: Date?, now: Date) -> Bool {
        if rank == 0 { return true }
        if let keepLast, rank < keepLast { return true }
        if let keepDays, let start, now.timeIntervalSince(start) <= Double(keepDays) * 86400 { return true }
        return false
    }
}

/// How a snapshot's configured size compares with what the estimate projects.
public enum SizingVerdict: String, Sendable, Encodable {
    /// The configured size holds the projection with the safety factor.
    case enough
    /// Holds it with more than `SizingEstimator.wastefulFactor` times the recommendation to
    /// spare, and by more than a GiB: the VG's space could be used better.
    case wasteful
    /// Smaller than the recommendation: the snapshot would be extended (if the VG has room and
    /// autoextend is on) or the backup aborted.
    case tooSmall = "too_small"
    /// The recommendations of a VG's snapshots together exceed its free space.
    case noRoom = "no_room"
    /// A thin pool whose projected fill passes `thin_pool_danger_threshold`.
    case poolTooFull = "pool_too_full"

    /// Whether a backup with today's settings is expected to keep this snapshot valid.
    public var isEnough: Bool { self == .enough || self == .wasteful }
}

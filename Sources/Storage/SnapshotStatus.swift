/// The fill of a classic snapshot's copy-on-write store, from device-mapper status.
public struct SnapshotStatus: Sendable, Equatable {
    public var usedSectors: UInt64
    public var totalSectors: UInt64
    public var metadataSectors: UInt64
    /// The snapshot overflowed or failed and no longer represents its origin.
    public var invalid: Bool
    public var overflow: Bool
    public var mergeFailed: Bool

    public init(
        usedSectors: UInt64, totalSectors: UInt64, metadataSectors: UInt64, invalid: Bool, overflow: Bool,
        mergeFailed: Bool
    ) {
        self.usedSectors = usedSectors
        self.totalSectors = totalSectors
        self.metadataSectors = metadataSectors
        self.invalid = invalid
        self.overflow = overflow
        self.mergeFailed = mergeFailed
    }

    /// Used share of the store in percent, the figure `lvs` shows as Data%.
    public var percentUsed: Double {
        totalSectors == 0 ? 100 : Double(usedSectors + metadataSectors) * 100 / Double(totalSectors)
    }
}

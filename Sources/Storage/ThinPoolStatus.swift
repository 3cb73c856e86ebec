/// The fill and health of a thin pool, from device-mapper status. Thin snapshots take their
/// space from here, so this is what can run out while a thin snapshot exists.
public struct ThinPoolStatus: Sendable, Equatable {
    public var usedDataBlocks: UInt64
    public var totalDataBlocks: UInt64
    public var usedMetadataBlocks: UInt64
    public var totalMetadataBlocks: UInt64
    /// Out of data or metadata space, read-only metadata, or failing I/O.
    public var failing: Bool

    public init(
        usedDataBlocks: UInt64, totalDataBlocks: UInt64, usedMetadataBlocks: UInt64,
        totalMetadataBlocks: UInt64, failing: Bool
    ) {
        self.usedDataBlocks = usedDataBlocks
        self.totalDataBlocks = totalDataBlocks
        self.usedMetadataBlocks = usedMetadataBlocks
        self.totalMetadataBlocks = totalMetadataBlocks
        self.failing = failing
    }

    /// The fuller of data and metadata, in percent.
    public var percentUsed: Double {
        func percent(_ used: UInt64, _ total: UInt64) -> Double {
            total == 0 ? 100 : Double(used) * 100 / Double(total)
        }
        return max(percent(usedDataBlocks, totalDataBlocks), percent(usedMetadataBlocks, totalMetadataBlocks))
    }
}

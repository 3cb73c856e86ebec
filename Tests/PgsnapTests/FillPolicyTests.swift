import Storage
import Testing

@testable import Backup

/// The watcher's decisions from scripted device-mapper statuses: extend while the VG has room,
/// abort early naming the size needed when it has none, fail before a thin pool fills.
@Suite("FillPolicy", .unit)
struct FillPolicyTests {
    static let mebibyte: UInt64 = 1 << 20
    static let extent: UInt64 = 4 << 20
    let policy = FillPolicy(autoextendThreshold: 70, autoextendPercent: 20, thinPoolDangerThreshold: 90)

    /// A 100 MiB snapshot (204800 sectors) at `percent`, after `done` of 100 units of the copy.
    static func reading(percent: Double, done: UInt64 = 50, free: UInt64 = 1 << 30) -> FillPolicy.Reading {
        let total: UInt64 = 204_800
        let status = SnapshotStatus(
            usedSectors: UInt64(Double(total) * percent / 100), totalSectors: total, metadataSectors: 0,
            invalid: false, overflow: false, mergeFailed: false)
        return FillPolicy.Reading(
            status: status, sizeBytes: 100 * mebibyte, volumeGroupFreeBytes: free, extentBytes: extent, done: done,
            total: 100, projectable: true)
    }

    @Test func belowTheThresholdWithARoomyProjectionNothingHappens() {
        // 30% after 50% of the copy: 60% at the end.
        #expect(policy.decide(Self.reading(percent: 30)) == .keep)
    }

    @Test func pastTheThresholdItExtendsByTheConfiguredPercentInWholeExtents() {
        // 72% after 90% of the copy projects to 80%: only the threshold asks, 20 MiB is 5 extents.
        #expect(policy.decide(Self.reading(percent: 72, done: 90)) == .extend(bytes: 20 * Self.mebibyte))
    }

    @Test func aProjectedOverflowExtendsByWhatTheProjectionNeedsEvenBelowTheThreshold() {
        // 60% after 40%: 150% at the end, × 1.2 = 180 MiB, so 80 MiB more (20 extents).
        #expect(policy.decide(Self.reading(percent: 60, done: 40)) == .extend(bytes: 80 * Self.mebibyte))
    }

    @Test func withTooLittleRoomAProjectedOverflowAbortsNamingTheSizeNeeded() {
        // Needs 80 MiB more, the VG has 40 MiB.
        let decision = policy.decide(Self.reading(percent: 60, done: 40, free: 40 * Self.mebibyte))
        #expect(decision == .abort(neededBytes: 180 * Self.mebibyte))
    }

    @Test func withNoRoomPastTheThresholdButARoomyProjectionItKeepsGoing() {
        #expect(policy.decide(Self.reading(percent: 75, done: 95, free: 0)) == .keep)
    }

    @Test func withLessRoomThanTheStepItTakesWhatThereIsWhenThatIsEnough() {
        // The threshold asks for 20 MiB, the VG has 9 MiB: two whole extents, 8 MiB.
        #expect(policy.decide(Self.reading(percent: 72, done: 90, free: 9 * Self.mebibyte)) == .extend(bytes: 8 << 20))
    }

    @Test func withAutoextendOffAProjectedOverflowAbortsAsBefore() {
        var off = policy
        off.autoextendThreshold = 100
        #expect(off.decide(Self.reading(percent: 60, done: 40)) == .abort(neededBytes: 180 * Self.mebibyte))
        #expect(off.decide(Self.reading(percent: 99, done: 99)) == .keep)
    }

    @Test func anInvalidatedSnapshotIsOverflowedWhateverTheRoom() {
        var reading = Self.reading(percent: 10)
        reading.status.invalid = true
        #expect(policy.decide(reading) == .overflowed)
    }

    @Test func earlyInTheCopyThereIsNoProjectionOnlyTheThreshold() {
        var reading = Self.reading(percent: 60, done: 40)
        reading.projectable = false
        #expect(policy.decide(reading) == .keep)
        #expect(policy.projection(reading) == nil)
    }

    static func pool(data: UInt64, metadata: UInt64, failing: Bool = false) -> ThinPoolStatus {
        ThinPoolStatus(
            usedDataBlocks: data, totalDataBlocks: 100, usedMetadataBlocks: metadata, totalMetadataBlocks: 100,
            failing: failing)
    }

    @Test func aThinPoolBelowTheDangerThresholdIsKept() {
        #expect(policy.decide(Self.pool(data: 89, metadata: 50)) == .keep)
    }

    @Test func aThinPoolPastTheDangerThresholdInDataOrMetadataIsDanger() {
        #expect(policy.decide(Self.pool(data: 90, metadata: 10)) == .danger(dataPercent: 90, metadataPercent: 10))
        #expect(policy.decide(Self.pool(data: 10, metadata: 95)) == .danger(dataPercent: 10, metadataPercent: 95))
    }

    @Test func aFullOrFailingThinPoolHasFailed() {
        #expect(policy.decide(Self.pool(data: 100, metadata: 10)) == .failed)
        #expect(policy.decide(Self.pool(data: 10, metadata: 10, failing: true)) == .failed)
    }
}

import Foundation
import Preflight
import Sizing
import Storage
import Testing

@testable import Backup

/// `pgsnap estimate`'s arithmetic and verdicts from made-up measurements (docs/sizing.md).
@Suite("snapshot sizing estimate", .unit)
struct SizingEstimatorTests {
    static let mib: UInt64 = 1 << 20

    static func planned(size: UInt64?, free: UInt64 = 1 << 30, kind: LogicalVolume.Kind = .classic, lv: String = "data")
        -> PlannedSnapshot
    {
        PlannedSnapshot(
            origin: LogicalVolume(
                volumeGroup: "vg0", name: lv, uuid: "u-\(lv)", kind: kind, sizeBytes: 1 << 30,
                volumeGroupFreeBytes: free),
            sizeBytes: size, directories: ["pg_default"])
    }

    static func input(size: UInt64?, rate: UInt64, probe: UInt64? = nil, free: UInt64 = 1 << 30, lv: String = "data")
        -> SizingEstimator.Input
    {
        SizingEstimator.Input(
            planned: planned(size: size, free: free, lv: lv),
            sample: VolumeSample(origin: "vg0/\(lv)", seconds: 10, blockBytesWritten: rate * 10, probeBytes: probe),
            history: nil, measuredCopySeconds: 70)
    }

    /// 1 MiB/s over 70 s of copy + 30 s of setup = 100 MiB; × 1.2 × (1 + 1/256) + 4 KiB, in 4 MiB extents.
    @Test func theRecommendationIsRateTimesLifeWithTheSafetyFactorInExtents() throws {
        let estimate = try #require(
            SizingEstimator.estimate([Self.input(size: 200 * Self.mib, rate: Self.mib)], thinPoolDangerThreshold: 90)
                .first)
        #expect(estimate.snapshotLifeSeconds == 100)
        #expect(estimate.projectedBytes == 100 * Self.mib)
        #expect(estimate.recommendedBytes == 124 * Self.mib)
        #expect(estimate.rateSource == "block_stat" && estimate.lifeSource == "measured")
        #expect(estimate.verdict == .enough)
    }

    /// pg_wal's volume pays for the segment the backup's stop switches to: 100 MiB + 16 MiB.
    @Test func theVolumeHoldingPgWalPaysForTheSwitchedSegment() throws {
        var input = Self.input(size: 200 * Self.mib, rate: Self.mib)
        input.walSwitchBytes = 16 * Self.mib
        let estimate = try #require(SizingEstimator.estimate([input], thinPoolDangerThreshold: 90).first)
        #expect(estimate.projectedBytes == 116 * Self.mib)
    }

    @Test func aProbeRateIsPreferredToTheBlockCounters() throws {
        let estimate = try #require(
            SizingEstimator.estimate(
                [Self.input(size: 32 * Self.mib, rate: 10 * Self.mib, probe: 10 * Self.mib)],
                thinPoolDangerThreshold: 90
            )
            .first)
        #expect(estimate.rateSource == "probe" && estimate.bytesPerSecond == Double(Self.mib))
        #expect(estimate.verdict == .tooSmall)
        #expect(estimate.shortfallBytes == 124 * Self.mib - 32 * Self.mib)
    }

    @Test func historyGivesTheLife() throws {
        var input = Self.input(size: 200 * Self.mib, rate: Self.mib)
        input.history = VolumeHistory(
            backups: ["a"], snapshotLifeSeconds: 20, peakSnapshotBytes: 5 * Self.mib, peakFillPercent: 40,
            backupModeSeconds: 1)
        let estimate = try #require(SizingEstimator.estimate([input], thinPoolDangerThreshold: 90).first)
        #expect(estimate.snapshotLifeSeconds == 20 && estimate.lifeSource == "history")
        #expect(estimate.verdict == .wasteful || estimate.verdict == .enough)
        #expect(estimate.historyPeakBytes == 5 * Self.mib)
    }

    @Test func aLargeSnapshotOfAQuietVolumeIsWasteful() throws {
        let estimate = try #require(
            SizingEstimator.estimate(
                [Self.input(size: 4 << 30, rate: 1024, free: 8 << 30)], thinPoolDangerThreshold: 90
            ).first)
        #expect(estimate.verdict == .wasteful)
    }

    /// Two too-small snapshots whose recommendations together exceed the VG: no room.
    @Test func tooSmallWithoutRoomInTheVolumeGroupIsNoRoom() {
        let free = 200 * Self.mib
        let estimates = SizingEstimator.estimate(
            [
                Self.input(size: 8 * Self.mib, rate: Self.mib, free: free),
                Self.input(size: 8 * Self.mib, rate: Self.mib, free: free, lv: "ts"),
            ],
            thinPoolDangerThreshold: 90)
        #expect(estimates.map(\.verdict) == [.noRoom, .noRoom])
        let alone = SizingEstimator.estimate(
            [Self.input(size: 8 * Self.mib, rate: Self.mib, free: free)], thinPoolDangerThreshold: 90)
        #expect(alone.map(\.verdict) == [.tooSmall], "one fits by autoextend")
    }

    @Test func aThinPoolProjectedPastTheDangerThresholdFails() throws {
        var input = Self.input(size: nil, rate: Self.mib)
        input.planned = Self.planned(size: nil, kind: .thin)
        input.pool = ("vg0/pool", 500 * Self.mib, 70)
        let estimate = try #require(SizingEstimator.estimate([input], thinPoolDangerThreshold: 90).first)
        // 100 MiB × 1.2 of 500 MiB = 24 points over 70%.
        #expect(estimate.projectedPoolPercent.map { abs($0 - 94) < 0.01 } == true)
        #expect(estimate.verdict == .poolTooFull)
        input.pool = ("vg0/pool", 5000 * Self.mib, 10)
        #expect(SizingEstimator.estimate([input], thinPoolDangerThreshold: 90).first?.verdict == .enough)
    }

    @Test func theReportExitsTwelveOnlyWhenASnapshotFallsShort() {
        var report = SizingReport()
        report.volumes = SizingEstimator.estimate(
            [Self.input(size: 200 * Self.mib, rate: Self.mib)], thinPoolDangerThreshold: 90)
        #expect(report.exitStatus == .success)
        report.volumes = SizingEstimator.estimate(
            [Self.input(size: 8 * Self.mib, rate: Self.mib)], thinPoolDangerThreshold: 90)
        #expect(report.exitStatus.rawValue == 12)
    }

    /// The text says what bounded auto's choice in the settings' words, one bound per line.
    @Test func theTextNamesWhatBoundedAutosChoice() {
        var report = SizingReport()
        report.volumes = SizingEstimator.estimate(
            [Self.input(size: 200 * Self.mib, rate: Self.mib)], thinPoolDangerThreshold: 90)
        let expected = [
            "minimum": "raised to snapshot_size_min, or to snapshot_size_max where that is lower",
            "maximum": "cut to snapshot_size_max", "volume_group": "cut to its share of the VG's free space",
        ]
        for (limit, words) in expected {
            report.volumes[0].autoBytes = 256 * Self.mib
            report.volumes[0].autoLimitedBy = limit
            let text = SizingReportText.render(report)
            #expect(text.contains("snapshot_size = auto would choose 256.0 MiB (\(words))"), "\(text)")
        }
        report.volumes[0].autoLimitedBy = nil
        #expect(
            SizingReportText.render(report).contains("would choose 256.0 MiB\n")
                || SizingReportText.render(report).hasSuffix("would choose 256.0 MiB"))
    }

    /// A probe left by a SIGKILL is removed by `cleanup` and the next backup like theirs.
    @Test func aProbeSnapshotIsALeftoverToCleanup() {
        let name = SizingProbe.name(origin: "data", at: Date())
        let probe = LogicalVolume(
            volumeGroup: "vg0", name: name, uuid: "p", kind: .classic, origin: "data", sizeBytes: 1,
            volumeGroupFreeBytes: 0)
        #expect(Leftovers.isPgsnapSnapshot(probe), "by its name")
        #expect(SizingProbe.tag == Leftovers.tag)
    }

    @Test func theWatcherUsesTheEstimatesSafetyFactor() {
        #expect(FillPolicy.safetyFactor == SizingEstimator.safetyFactor)
    }
}

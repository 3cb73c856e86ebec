import Configuration
import Foundation
import Preflight
import Sizing
import Storage
import Testing

/// `snapshot_size = auto`'s choice from made-up samples and histories (docs/sizing.md): the
/// projection, the safety factor, the bounds and the volume group's free space.
@Suite("snapshot_size = auto", .unit)
struct AutoSnapshotSizeTests {
    static let mib: UInt64 = 1 << 20

    static func input(
        lv: String = "data", originBytes: UInt64 = 1 << 30, rate: UInt64, free: UInt64 = 4 << 30,
        history: VolumeHistory? = nil
    ) -> SizingEstimator.Input {
        SizingEstimator.Input(
            planned: PlannedSnapshot(
                origin: LogicalVolume(
                    volumeGroup: "vg0", name: lv, uuid: "u-\(lv)", kind: .classic, sizeBytes: originBytes,
                    volumeGroupFreeBytes: free),
                sizeBytes: 64 * mib, directories: ["pg_default"]),
            sample: VolumeSample(origin: "vg0/\(lv)", seconds: 10, blockBytesWritten: rate * 10),
            history: history, measuredCopySeconds: 70)
    }

    static func choose(_ inputs: [SizingEstimator.Input], min: String = "16M", max: String = "50%") throws
        -> [String: (bytes: UInt64, limit: String?)]
    {
        let minimum = try #require(SnapshotSize(parsing: min))
        let maximum = try #require(SnapshotSize(parsing: max))
        return AutoSnapshotSize.choose(inputs, minimum: minimum, maximum: maximum).mapValues {
            ($0.chosenBytes, $0.limitedBy)
        }
    }

    /// 1 MiB/s × (70 s copy + 30 s setup) = 100 MiB, × 1.2 + metadata → 124 MiB in 4 MiB extents.
    @Test func theSizeIsTheProjectionWithTheSafetyFactor() throws {
        let choice = try #require(try Self.choose([Self.input(rate: Self.mib)])["vg0/data"])
        #expect(choice.bytes == 124 * Self.mib)
        #expect(choice.limit == nil)
    }

    /// With autoextend at 70%, room to end the copy below it: 100 MiB × 100/70 × 1.2 + metadata
    /// = 172.1 MiB → 176 MiB, where the projection fills 57%.
    @Test func anAutoSizedSnapshotEndsTheCopyBelowTheAutoextendThreshold() throws {
        let chosen = AutoSnapshotSize.choose(
            [Self.input(rate: Self.mib)], minimum: .bytes(16 * Self.mib), maximum: .percentOfOrigin(50),
            autoextendThreshold: 70)
        let choice = try #require(chosen["vg0/data"])
        #expect(choice.chosenBytes == 176 * Self.mib)
        #expect(Double(choice.projectedBytes) / Double(choice.chosenBytes) < 0.7)
    }

    @Test func aQuietOriginGetsTheMinimumAndABusyOneTheMaximum() throws {
        let quiet = try #require(try Self.choose([Self.input(rate: 0)], min: "256M")["vg0/data"])
        #expect(quiet.bytes == 256 * Self.mib && quiet.limit == "minimum")
        let busy = try #require(try Self.choose([Self.input(rate: 100 * Self.mib)], max: "25%")["vg0/data"])
        #expect(busy.bytes == 256 * Self.mib && busy.limit == "maximum")
    }

    /// A sample of seconds misses the nightly batch; the last backups saw it.
    @Test func theHistorysPeakWinsOverAQuietSample() throws {
        let history = VolumeHistory(
            backups: ["a", "b"], snapshotLifeSeconds: 60, peakSnapshotBytes: 200 * Self.mib, peakFillPercent: 80,
            backupModeSeconds: 1)
        let chosen = AutoSnapshotSize.choose(
            [Self.input(rate: Self.mib / 4, history: history)], minimum: .bytes(16 * Self.mib),
            maximum: .percentOfOrigin(50))
        let choice = try #require(chosen["vg0/data"])
        #expect(choice.lifeSource == "history" && choice.snapshotLifeSeconds == 60)
        #expect(choice.projectedBytes == 200 * Self.mib)
        #expect(choice.chosenBytes == 244 * Self.mib)
    }

    @Test func theMaximumWinsWhereTheBoundsCrossAndNoSnapshotExceedsAFullCopy() throws {
        let crossed = try #require(try Self.choose([Self.input(rate: 0)], min: "600M", max: "10%")["vg0/data"])
        #expect(crossed.bytes == 104 * Self.mib)
        // A 2G cap on a 1 GiB origin: a full copy needs 1 GiB + 1/256 + a header, in extents.
        let full = try #require(try Self.choose([Self.input(rate: 1 << 30)], max: "2G")["vg0/data"])
        #expect(full.bytes == 1032 * Self.mib && full.limit == "maximum")
    }

    /// Two snapshots that ask for 124 and 244 MiB in a VG with 200 MiB free: each keeps its
    /// 16 MiB minimum and shares the other 168 MiB in proportion (108 : 228).
    @Test func aVolumeGroupTooSmallForEveryChoiceIsSharedInProportion() throws {
        let inputs = [
            Self.input(lv: "data", rate: Self.mib, free: 200 * Self.mib),
            Self.input(lv: "ts", rate: 2 * Self.mib, free: 200 * Self.mib),
        ]
        let chosen = try Self.choose(inputs)
        let data = try #require(chosen["vg0/data"])
        let ts = try #require(chosen["vg0/ts"])
        #expect(data.limit == "volume_group" && ts.limit == "volume_group")
        #expect(data.bytes + ts.bytes <= 200 * Self.mib)
        #expect(data.bytes == 16 * Self.mib + 52 * Self.mib && ts.bytes == 16 * Self.mib + 112 * Self.mib)
    }

    @Test func theSettingsParseAutoAndRefuseAutoAsABound() throws {
        #expect(SnapshotSize(parsing: "auto") == .auto && SnapshotSize(parsing: "AUTO") == .auto)
        #expect(SnapshotSize.auto.bytes(forOrigin: 1 << 30) == nil)
        let settings = try Settings.resolve(
            file: nil, overrides: [.snapshotSize: "auto", .snapshotSizeMin: "1G", .snapshotSizeMax: "30%"])
        #expect(settings.snapshotSize == .auto && settings.snapshotSizeMin == .bytes(1 << 30))
        #expect(settings.snapshotSizeMax == .percentOfOrigin(30))
        for (key, value) in [
            (SettingKey.snapshotSizeMin, "auto"), (.snapshotSizeSample, "0"), (.snapshotSizeSample, "601"),
        ] {
            #expect(throws: ConfigurationError.self) { try Settings.resolve(file: nil, overrides: [key: value]) }
        }
    }
}

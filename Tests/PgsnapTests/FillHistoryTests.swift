import TargetLayout
import Testing

@testable import Backup

/// backup.json's fill curve stays bounded however long the copy runs, evenly spaced, and ends
/// with the last reading.
@Suite("FillHistory", .unit)
struct FillHistoryTests {
    static func sample(_ index: Int) -> BackupRecord.FillSample {
        BackupRecord.FillSample(
            seconds: Double(index), percent: Double(index) / 10, bytes: UInt64(index) * 512)
    }

    @Test func aShortCopyKeepsEveryReading() {
        var history = FillHistory(limit: 8)
        for index in 0..<5 { history.add(Self.sample(index)) }
        #expect(history.curve == (0..<5).map(Self.sample))
    }

    @Test func aLongCopyIsThinnedEvenlyToTheLimitAndEndsWithTheLastReading() {
        var history = FillHistory(limit: 8)
        for index in 0..<1000 { history.add(Self.sample(index)) }
        let times = history.curve.map { Int($0.seconds) }
        #expect(times.count <= 9)
        #expect(times.first == 0 && times.last == 999)
        let steps = Set(zip(times.dropLast(), times.dropFirst().dropLast()).map { $1 - $0 })
        #expect(steps.count == 1, "evenly spaced: \(times)")
        #expect(times[times.count - 2] > 800, "the kept samples span the whole copy: \(times)")
    }
}

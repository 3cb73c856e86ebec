import TargetLayout

/// One snapshot's (or thin pool's) fill over the copy, for backup.json: bounded, so a copy of
/// hours does not make the record grow without end. Every reading is offered; once `limit`
/// samples are kept, every other one is dropped and from then on only every second reading is
/// kept (then every fourth, ...), so the curve stays evenly spaced over the whole copy. The
/// last reading is always kept, so the curve ends where the copy ended.
struct FillHistory: Sendable {
    static let defaultLimit = 240

    private(set) var samples: [BackupRecord.FillSample] = []
    private var stride = 1
    private var offered = 0
    private var last: BackupRecord.FillSample?
    private let limit: Int

    init(limit: Int = Self.defaultLimit) {
        self.limit = max(2, limit)
    }

    mutating func add(_ sample: BackupRecord.FillSample) {
        defer { offered += 1 }
        last = sample
        guard offered % stride == 0 else { return }
        samples.append(sample)
        if samples.count > limit {
            samples = samples.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            stride *= 2
        }
    }

    /// The kept samples and, if it was skipped, the last reading.
    var curve: [BackupRecord.FillSample] {
        guard let last, samples.last != last else { return samples }
        return samples + [last]
    }
}

public import Preflight
public import TargetLayout

extension EstimateRun {
    /// `snapshot_size = auto` for one backup, before backup mode: the same history and the
    /// same sample of the origins' writes as `pgsnap estimate` (without a probe: the backup's
    /// own snapshots follow within seconds), sized by `AutoSnapshotSize` for every classic
    /// snapshot the plan marks as auto-sized. A signal during the sample throws
    /// `SizingError.interrupted`.
    public func autoSizes(_ check: CheckReport) throws(SizingError) -> [String: BackupRecord.SnapshotSizeChoice] {
        let planned = check.snapshots.filter { $0.autoSized && $0.origin.kind == .classic }
        guard !planned.isEmpty else { return [:] }
        let records = history()
        let sample = try takeSample(planned, probe: nil)
        var unused = SizingReport()
        let inputs = estimatorInputs(planned, check: check, sample: sample, records: records, report: &unused)
        return AutoSnapshotSize.choose(
            inputs, minimum: settings.snapshotSizeMin, maximum: settings.snapshotSizeMax,
            autoextendThreshold: settings.snapshotAutoextendThreshold)
    }
}

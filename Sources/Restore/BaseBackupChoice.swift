internal import Catalog
public import Foundation
public import PostgresFormat
public import TargetLayout

/// Which backup a restore with a recovery target starts from.
///
/// Recovery can only stop after the end of the backup it starts from, so `latest` with
/// `--target-time` or `--target-lsn` means the newest complete backup of the same cluster that
/// ended before the target, and an explicit ID that ended after it is refused. A restore point
/// (`--target-name`) cannot be placed without reading the WAL, so pgsnap says what it assumes.
public struct BaseBackupChoice: Sendable, Equatable {
    /// What a backup contributes to the choice.
    public struct Candidate: Sendable, Equatable {
        public var id: String
        public var systemIdentifier: String?
        public var timeline: UInt32
        public var stopLSN: UInt64
        public var stopTime: Date
        /// Its pg_wal.tar.zst, where a timeline's history file is.
        public var walArchive: String?

        public init(_ record: BackupRecord, directory: String? = nil) {
            id = record.id
            systemIdentifier = record.systemIdentifier
            timeline = record.timeline
            stopLSN = LSN(parsing: record.stopLSN)?.value ?? .max
            stopTime = record.stopTime
            walArchive = directory.map { $0 + "/" + BackupFiles.walArchive }
        }

        public init(id: String, systemIdentifier: String?, timeline: UInt32, stopLSN: UInt64, stopTime: Date) {
            self.id = id
            self.systemIdentifier = systemIdentifier
            self.timeline = timeline
            self.stopLSN = stopLSN
            self.stopTime = stopTime
        }

        /// backup.json keeps whole seconds; the backup may have ended up to a second later.
        var latestEnd: Date { stopTime.addingTimeInterval(1) }

        var ended: String { "\(ISO8601DateFormatter().string(from: stopTime)) (stop LSN \(lsnText(stopLSN)))" }
    }

    public enum Target: Sendable, Equatable {
        case time(TargetTime, given: String)
        case lsn(UInt64, given: String)
        case name(String)
    }

    /// The backup to restore.
    public var id: String
    /// Why, for the log and `--json`; nil when the request was followed as given.
    public var reason: String?

    /// Chooses among `candidates` (complete backups, newest first) for `requested` (an ID or
    /// `latest`).
    ///
    /// - Parameter history: the timeline history in a backup's WAL archive, to tell whether a
    ///   backup on an older timeline lies on the newest one's history.
    public static func choose(
        requested: String, target: Target, candidates: [Candidate],
        history: (Candidate) -> TimelineHistory? = { _ in nil }
    ) throws(RestoreError)
        -> BaseBackupChoice
    {
        if requested == "latest" {
            guard let newest = candidates.first else { return BaseBackupChoice(id: requested, reason: nil) }
            let cluster = candidates.filter { $0.systemIdentifier == newest.systemIdentifier }
            return try latest(target, newest: newest, cluster: cluster, history: history)
        }
        guard let asked = candidates.first(where: { $0.id == requested }), !fits(asked, target) else {
            return BaseBackupChoice(id: requested, reason: nil)
        }
        let cluster = candidates.filter { $0.systemIdentifier == asked.systemIdentifier }
        let instead = cluster.first { fits($0, target) }
        throw RestoreError(
            code: .invalidOption,
            detail:
                "backup \(asked.id) ended at \(asked.ended), after \(describe(target)), so recovery cannot stop there; "
                + (instead.map { "restore \($0.id) instead, which ended at \($0.ended)" }
                    ?? "no complete backup of this cluster in the target ended before it"))
    }

    private static func latest(
        _ target: Target, newest: Candidate, cluster: [Candidate],
        history: (Candidate) -> TimelineHistory?
    ) throws(RestoreError) -> BaseBackupChoice {
        if case .name(let name) = target {
            return BaseBackupChoice(
                id: newest.id,
                reason:
                    "restoring the latest backup \(newest.id) for --target-name \(name.debugDescription): the restore point must lie after its end, \(newest.ended); pgsnap cannot tell where a restore point lies, so for an older one pass the ID of a backup that ended before it"
            )
        }
        // The newest backup's timeline is the one recovery follows (recovery_target_timeline
        // 'latest'); a backup on an older timeline lies on its history only up to the switch,
        // which its history file in the newest backup's WAL tells, when there is one.
        var known: TimelineHistory?
        var chosen = cluster.first { $0.timeline == newest.timeline && fits($0, target) }
        if chosen == nil {
            known = history(newest)
            chosen = cluster.first { candidate in
                candidate.timeline < newest.timeline && fits(candidate, target)
                    && (known?.contains(timeline: candidate.timeline, lsn: candidate.stopLSN) ?? true)
            }
        }
        guard let chosen else {
            let oldest = cluster.last ?? newest
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "no complete backup of this cluster in the target ended before \(describe(target)); the oldest, \(oldest.id), ended at \(oldest.ended)"
            )
        }
        var reason =
            "restoring backup \(chosen.id), the newest complete backup that ended before \(describe(target)) (at \(chosen.ended))"
        if chosen.id != newest.id { reason += "; the latest, \(newest.id), ended after it" }
        if chosen.timeline != newest.timeline {
            reason +=
                known == nil
                ? "; it is on timeline \(chosen.timeline), the latest on \(newest.timeline): the target must lie on timeline \(newest.timeline)'s history"
                : "; it is on timeline \(chosen.timeline), which timeline \(newest.timeline)'s history passes through before the switch"
        }
        return BaseBackupChoice(id: chosen.id, reason: reason)
    }

    /// The complete backups in `target`, newest first, with their records; one whose record
    /// cannot be read is left out here and reported if it is the one restored. For `latest`
    /// only the target's own cluster's: a target holding several clusters' backups without a
    /// binding is refused (exit 6) as for a plain `restore latest`, never resolved to whichever
    /// cluster took the newest backup.
    public static func candidates(in target: String, for requested: String = "latest") throws(RestoreError)
        -> [Candidate]
    {
        let catalog: BackupCatalog
        do {
            catalog = try BackupCatalog(target: target, lockPath: nil)
            if requested == "latest" { try catalog.requireOneCluster() }
        } catch {
            throw RestoreError(code: .target, detail: error.message, hint: error.hint)
        }
        let cluster = requested == "latest" ? catalog.owner.systemIdentifier : nil
        let complete = catalog.entries.filter { $0.status == .complete }
        let owned = cluster.map { cluster in complete.filter { $0.record?.systemIdentifier == cluster } } ?? complete
        return owned.compactMap { entry in
            (try? StoredBackup.readRecord(directory: entry.path, id: entry.id)).map {
                Candidate($0, directory: entry.path)
            }
        }
    }

    /// Whether recovery from `candidate` can stop at `target`. LSNs only grow, across
    /// timelines too, so a backup that stopped after the target LSN can never reach it.
    static func fits(_ candidate: Candidate, _ target: Target) -> Bool {
        switch target {
        case .time(let time, _): return candidate.latestEnd <= time.date
        case .lsn(let lsn, _): return candidate.stopLSN <= lsn
        case .name: return true
        }
    }

    static func describe(_ target: Target) -> String {
        switch target {
        case .time(let time, _): return "--target-time \(time.canonical)"
        case .lsn(_, let given): return "--target-lsn \(given)"
        case .name(let name): return "--target-name \(name.debugDescription)"
        }
    }

    static func lsnText(_ value: UInt64) -> String {
        LSN(value).description
    }
}

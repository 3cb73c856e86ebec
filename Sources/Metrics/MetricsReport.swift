public import Foundation

/// The whole metrics file: the per-command history and the target's figures as metric families,
/// in a fixed order, each sample labelled with the target and the cluster (never the conninfo,
/// which may hold a password, nor any other setting).
public struct MetricsReport: Sendable, Equatable {
    public var target: String
    public var history: CommandHistory
    public var figures: TargetFigures?
    /// When the file is written: what `pgsnap_newest_backup_age_seconds` counts to.
    public var now: Date

    public init(target: String, history: CommandHistory, figures: TargetFigures?, now: Date) {
        self.target = target
        self.history = history
        self.figures = figures
        self.now = now
    }

    public var text: String {
        (commandFamilies + targetFamilies).map(ExpositionFormat.render).joined()
    }

    private var baseLabels: [Sample.Label] {
        [Sample.Label(MetricNames.targetLabel, target), Sample.Label(MetricNames.clusterLabel, figures?.cluster ?? "")]
    }

    private var commandFamilies: [MetricFamily] {
        let runs = MetricsCommand.allCases.compactMap { command in history.entries[command].map { (command, $0) } }
        func family(_ name: String, _ help: String, _ value: (CommandHistory.Entry) -> Double?) -> MetricFamily {
            MetricFamily(
                name, help,
                runs.compactMap { command, entry in
                    value(entry).map {
                        Sample(
                            name: name, labels: baseLabels + [Sample.Label(MetricNames.commandLabel, command.rawValue)],
                            value: $0)
                    }
                })
        }
        return [
            family(MetricNames.lastAttempt, "When the last run of the command ended.") { $0.lastAttempt },
            family(MetricNames.lastSuccess, "When the last run of the command that exited 0 ended.") { $0.lastSuccess },
            family(MetricNames.lastExitStatus, "Exit status of the last run of the command (docs/exit-codes.md).") {
                Double($0.exitStatus)
            },
            family(MetricNames.lastRunSucceeded, "1 if the last run of the command exited 0, else 0.") {
                $0.exitStatus == 0 ? 1 : 0
            },
            family(MetricNames.lastDuration, "How long the last run of the command took.") { $0.durationSeconds },
        ]
    }

    private var targetFamilies: [MetricFamily] {
        guard let figures else { return [] }
        func family(_ name: String, _ help: String, _ value: Double?) -> MetricFamily {
            MetricFamily(name, help, value.map { [Sample(name: name, labels: baseLabels, value: $0)] } ?? [])
        }
        let newest = figures.newest
        let peak = newest?.volumes.compactMap(\.peakFillPercent).max().map { $0 / 100 }
        return [
            family(
                MetricNames.completeBackups, "Complete backups of the cluster in the target.",
                Double(figures.completeBackups)),
            family(
                MetricNames.newestStart, "When the newest complete backup started.",
                newest?.startTime.timeIntervalSince1970),
            family(
                MetricNames.newestEnd, "When the newest complete backup ended.", newest?.stopTime.timeIntervalSince1970),
            family(
                MetricNames.newestAge,
                "Age of the newest complete backup when this file was written; alert on time() minus its end timestamp.",
                newest.map { now.timeIntervalSince($0.stopTime) }),
            family(
                MetricNames.newestDuration, "How long the newest complete backup took.",
                newest.map { $0.stopTime.timeIntervalSince($0.startTime) }),
            family(
                MetricNames.newestRead, "Bytes the newest complete backup read.", newest.map { Double($0.bytesRead) }),
            family(
                MetricNames.newestWritten, "Bytes the newest complete backup wrote (compressed).",
                newest.map { Double($0.bytesWritten) }),
            family(
                MetricNames.newestCompression, "Bytes read per byte written by the newest complete backup.",
                newest?.compressionRatio),
            family(
                MetricNames.newestBackupMode, "Seconds PostgreSQL spent in backup mode for the newest complete backup.",
                newest?.backupModeSeconds),
            family(
                MetricNames.newestPeakFill, "Highest fill of any snapshot of the newest complete backup, 0 to 1.", peak),
            family(
                MetricNames.walNewest, "When the newest segment in the WAL archive was stored.",
                figures.newestWAL?.storedAt),
            family(
                MetricNames.walNewestTimeline, "Timeline of the newest segment in the WAL archive.",
                figures.newestWAL?.timeline.map(Double.init)),
        ]
    }
}

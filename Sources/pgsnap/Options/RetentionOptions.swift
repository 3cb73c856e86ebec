import ArgumentParser
import Configuration

/// The retention rules, read by `prune` and by the retention that follows every `backup`.
struct RetentionOptions: SettingsGroup {
    @Option(name: .customLong("keep-last"), help: "Retention: keep the newest N complete backups.")
    var keepLast: String?

    @Option(name: .customLong("keep-days"), help: "Retention: keep complete backups younger than D days.")
    var keepDays: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.keepLast] = keepLast
        overrides[.keepDays] = keepDays
        return overrides
    }
}

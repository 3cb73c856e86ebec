import ArgumentParser
import Configuration

/// `--snapshot`: whether pgsnap works with LVM snapshots, read by `backup`, `check`, `estimate` and
/// by `cleanup`, which looks for leftover snapshots only with `lvm`.
struct SnapshotModeOptions: SettingsGroup {
    @Option(name: .long, help: "Snapshot method: lvm or none.")
    var snapshot: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.snapshot] = snapshot
        return overrides
    }
}

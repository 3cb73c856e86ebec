import ArgumentParser
import Configuration

/// What `freeze` (and `snapshot-exec`) read besides the connection: the watchdog, the label
/// and the checkpoint at the start of backup mode.
struct FreezeOptions: SettingsGroup {
    @Option(
        name: .long,
        help: "Seconds to wait for 'pgsnap thaw' before the watchdog ends backup mode (freeze_timeout, default 300).")
    var timeout: String?

    @Option(name: .long, help: "Backup label recorded by PostgreSQL (default 'pgsnap <id>').")
    var label: String?

    @Option(name: .long, help: "Checkpoint at the start of backup mode: fast (default) or spread.")
    var checkpoint: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.freezeTimeout] = timeout
        overrides[.label] = label
        overrides[.checkpoint] = checkpoint
        return overrides
    }
}

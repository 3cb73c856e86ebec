import ArgumentParser
import Configuration

/// What `check` examines, `estimate` measures and `backup` plans from: the server, the
/// snapshots and their sizes, the WAL archive and the hook directory. Declared untitled by
/// the commands: each part names its own `--help` section.
struct PreflightOptions: SettingsGroup {
    @OptionGroup(title: HelpSection.connection) var connection: ConnectionOptions
    @OptionGroup(title: HelpSection.snapshots) var snapshotMode: SnapshotModeOptions
    @OptionGroup(title: HelpSection.snapshots) var snapshotSize: SnapshotSizeOptions
    @OptionGroup(title: HelpSection.wal) var walSource: WALSourceOptions
    @OptionGroup(title: HelpSection.hooks) var hookDirectory: HookDirectoryOptions

    var overrides: [SettingKey: String] {
        Self.merged([connection, snapshotMode, snapshotSize, walSource, hookDirectory])
    }
}

/// The headings of `--help`, one per kind of setting, so that every command lists its flags
/// under the same few names (connection, target, snapshots, copy, compression, WAL, hooks,
/// retention, metrics, log). The argument parser merges groups with one title into one
/// section, in the order the command first declares them, and an untitled group keeps the
/// titles of the groups inside it: so a command declares its groups untitled and each group
/// below names its own section.
enum HelpSection {
    static let connection = "Connection options"
    static let target = "Target options"
    static let snapshots = "Snapshot options"
    static let copy = "Copy options"
    static let compression = "Compression options"
    static let wal = "WAL options"
    static let hooks = "Hook options"
    static let retention = "Retention options"
    static let metrics = "Metrics options"
    static let log = "Log options"
    static let freeze = "Freeze options"
}

/// `restore --archive-mode`: whether the restored cluster may archive WAL.
///
/// A restored copy inherits the original's `archive_command`; started next to production it
/// would push its WAL and, after a point-in-time recovery, its new timeline's history file into
/// production's archive. `off` writes `archive_mode = 'off'` into postgresql.auto.conf.
public enum ArchiveMode: String, Sendable, CaseIterable, Codable {
    case off
    case preserve

    /// Off when the restore goes to a new location while the original cluster runs on this
    /// host: that copy is a clone, not the cluster coming back.
    static func `default`(originalRunning: Bool, newLocation: Bool) -> ArchiveMode {
        originalRunning && newLocation ? .off : .preserve
    }
}

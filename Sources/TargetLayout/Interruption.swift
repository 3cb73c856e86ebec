internal import CSystemShims

/// SIGINT, SIGTERM and SIGHUP are recorded rather than acted on, so that a backup always
/// finishes its teardown (unmount, remove snapshots, end backup mode) before it exits, and a
/// restore removes what it wrote. Here, beside the layout, so restore polls the same record
/// without depending on the backup module.
///
/// Everything that can wait long polls the record: the archive threads between chunks, hooks,
/// and every libpq statement of a backup (`BackupEnvironment.live` makes it the sessions'
/// stop condition), which is cancelled on the server within a tenth of a second, also inside
/// `pg_backup_start`'s checkpoint and `pg_backup_stop`'s wait for archiving.
public enum Interruption {
    /// Installs the recording handlers; call once, early.
    public static func install() {
        _ = pgsnap_install_interrupt_handlers()
    }

    /// The signal that asked pgsnap to stop, if any.
    public static var signal: Int32? {
        let number = pgsnap_interrupting_signal()
        return number == 0 ? nil : number
    }
}

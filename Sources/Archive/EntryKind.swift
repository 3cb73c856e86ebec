/// What a tar member is. Sockets, FIFOs and devices never reach an archive: PostgreSQL does not
/// keep any in a data directory and pg_basebackup skips them too.
public enum EntryKind: Sendable, Equatable {
    case file
    case directory
    case symlink
}

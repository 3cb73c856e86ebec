/// `global/pg_control` (PostgreSQL's `ControlFileData`), as far as pgsnap reads it.
public enum ControlFile {
    /// `ControlFileData` starts with the 64-bit system identifier, in the machine's byte order
    /// (little-endian on every platform pgsnap runs on); nil for fewer than 8 bytes.
    public static func systemIdentifier(_ control: [UInt8]) -> UInt64? {
        guard control.count >= 8 else { return nil }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(control[$1]) << (8 * UInt64($1)) }
    }

    /// The file is 8 KiB (`PG_CONTROL_FILE_SIZE`); a reader never needs more.
    public static let size = 8192
}

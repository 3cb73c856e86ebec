public import PostgresFormat

/// The WAL archive's names inside the target (docs/wal-archive.md): `<target>/wal`, owned by the
/// cluster's OS user, a directory per timeline and 4 GiB log file (`TTTTTTTTXXXXXXXX`, the
/// first 16 digits of a segment name) holding `<name>.zst`, and the history files at its top.
public enum WALArchiveLayout {
    public static let directoryName = "wal"
    public static let storedSuffix = ".zst"
    private static let temporarySuffix = ".tmp"

    public static func directory(target: String) -> String {
        target + "/" + directoryName
    }

    /// Where `name` is stored, relative to the archive directory.
    public static func storedPath(_ name: WALArchiveName, fileName: String) -> String {
        guard let segment = name.segmentName else { return fileName + storedSuffix }
        return logFileDirectory(segment) + "/" + fileName + storedSuffix
    }

    /// The directory of a segment's 4 GiB log file, relative to the archive directory.
    public static func logFileDirectory(_ segmentName: String) -> String {
        String(segmentName.prefix(16))
    }

    /// `.<stored name>.<pid>.tmp` next to where the file is stored: hidden and never ending in
    /// `.zst`, so nothing takes a file still being written (or one a SIGKILL cut) for archived.
    public static func temporaryName(storedName: String, pid: Int32) -> String {
        "." + storedName + ".\(pid)" + temporarySuffix
    }

    /// Whether `name` is one of `storedName`'s temporaries, written by any process.
    public static func isTemporary(_ name: String, of storedName: String) -> Bool {
        let prefix = "." + storedName + "."
        guard name.hasPrefix(prefix), name.hasSuffix(temporarySuffix) else { return false }
        let pid = name.dropFirst(prefix.count).dropLast(temporarySuffix.count)
        return !pid.isEmpty && pid.count <= 10 && pid.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

import Foundation
import TargetLayout

/// The `restore_command` restore writes when the target has a WAL archive: this very pgsnap,
/// with the configuration (or the target) it was run with, as absolute paths, so the restored
/// server (running as the cluster's user, from its data directory) finds the same archive.
public enum ArchiveRestoreCommand {
    /// Whether `target` holds a WAL archive (`<target>/wal` is a directory).
    public static func archiveExists(target: String) -> Bool {
        var info = stat()
        return lstat(WALArchiveLayout.directory(target: target), &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `'<pgsnap>' archive-get %f %p --config '<file>'`, or `--target '<target>'` without a file.
    public static func line(executable: String, config: String?, target: String) -> String {
        let location = config.map { ["--config", absolute($0)] } ?? ["--target", absolute(target)]
        return ([shellQuoted(executable), "archive-get", "%f", "%p"] + location.map(shellQuoted)).joined(separator: " ")
    }

    /// The running executable's own path (/proc/self/exe), not argv[0], which may be relative
    /// or found through a PATH the server does not have.
    public static var runningExecutable: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Plain words as they are; anything else in single quotes, for the shell PostgreSQL runs
    /// restore_command with (a `%` would be PostgreSQL's placeholder: doubled).
    static func shellQuoted(_ word: String) -> String {
        let plain = word.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                || "/._-+=:,@".utf8.contains($0)
        }
        if plain && !word.isEmpty { return word }
        let escaped = word.replacingOccurrences(of: "'", with: "'\\''").replacingOccurrences(of: "%", with: "%%")
        return "'" + escaped + "'"
    }
}

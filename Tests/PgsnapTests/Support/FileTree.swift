import Foundation

/// What is on disk, as the restore tests check it: owners, modes, link targets, and a listing
/// that shows whether anything in a tree changed.
enum FileTree {
    static let postgresUID: uid_t = getpwnam(TestCluster.user).map { $0.pointee.pw_uid } ?? 0

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func lstatus(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    /// Permission bits (lstat).
    static func mode(_ path: String) -> mode_t? { lstatus(path).map { $0.st_mode & 0o7777 } }

    static func owner(_ path: String) -> uid_t? { lstatus(path)?.st_uid }

    static func isDirectory(_ path: String) -> Bool { lstatus(path).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false }

    static func linkTarget(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// Names in a directory; empty when it does not exist.
    static func children(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    /// A directory that does not exist or is empty.
    static func isAbsentOrEmpty(_ path: String) -> Bool {
        !exists(path) || (isDirectory(path) && children(path).isEmpty)
    }

    /// One line per path under (and including) `root`: type, size, mode, owner, mtime, link
    /// target. Equal listings before and after mean nothing was added, removed or rewritten.
    static func listing(_ root: String) -> [String] {
        guard exists(root) else { return ["<absent>"] }
        let result = Command.run("/usr/bin/find", [root, "-printf", "%P|%y|%s|%m|%U|%G|%T@|%l\n"])
        return result.output.split(separator: "\n").map(String.init).sorted()
    }

    /// Every path under `root` (relative), for messages.
    static func paths(_ root: String) -> [String] {
        listing(root).map { String($0.prefix { $0 != "|" }) }
    }
}

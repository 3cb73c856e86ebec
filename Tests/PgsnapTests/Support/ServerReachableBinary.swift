import Foundation

/// PostgreSQL runs `archive_command` and `restore_command` as its own OS user, so the pgsnap
/// those commands name must be executable by that user. A checkout under /root (mode 0700) is
/// not, so there the tests run a copy in a directory anyone may enter, under the run's
/// temporary root, removed when the test process exits. A pgsnap installed in /usr/bin needs
/// none of this.
enum ServerReachableBinary {
    /// `path` itself when every directory above it and the file are open to others (o+x),
    /// otherwise the path of a copy that is.
    static func reachable(_ path: String) -> String {
        guard geteuid() == 0, !openToOthers(path) else { return path }
        let directory = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/pgsnap-bin.XXXXXX"
        var template = Array(directory.utf8CString)
        guard let made = mkdtemp(&template) else { return path }
        let copyDirectory = String(cString: made)
        let copy = copyDirectory + "/pgsnap"
        guard (try? FileManager.default.copyItem(atPath: path, toPath: copy)) != nil else { return path }
        chmod(copyDirectory, 0o755)
        chmod(copy, 0o755)
        removal = copyDirectory
        atexit {
            if let directory = ServerReachableBinary.removal {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        return copy
    }

    /// The copy's directory, for the exit handler (a C function pointer cannot capture it).
    nonisolated(unsafe) private static var removal: String?

    private static func openToOthers(_ path: String) -> Bool {
        var current = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = stat()
        guard stat(current, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        while current != "/" {
            current = (current as NSString).deletingLastPathComponent
            guard stat(current, &info) == 0, info.st_mode & S_IXOTH != 0 else { return false }
        }
        return true
    }
}

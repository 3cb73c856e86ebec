import Foundation

/// The executables of `hook_directory`, checked the way sudo and cron check what they run as
/// root: the directory and each hook (after symlinks, and the directory holding it) must be
/// owned by root or the user pgsnap runs as and not be writable by group or others. Otherwise
/// anyone who can write there gets root at the next backup, so pgsnap refuses to run (exit 3)
/// rather than skip the hook, which could silently skip a storage thaw.
///
/// A file named after an event that is not executable is skipped with a warning (as run-parts
/// does), so a hook can be switched off with `chmod -x`.
public struct HookDirectory: Sendable {
    public let path: String
    /// The hooks that will run, by event.
    public private(set) var hooks: [HookEvent: String] = [:]

    /// Checks the directory and every hook in it, up front, so a bad `post-backup` hook stops
    /// the run before anything happens rather than at its end.
    public init(path: String, warn: (String) -> Void) throws(HookError) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw HookError(
                code: .missingDirectory, event: nil, path: path, detail: "does not exist or is not a directory")
        }
        try Self.checkOwnership(info, event: nil, path: path, what: "the directory")
        for event in HookEvent.allCases {
            if let hook = try Self.executable(event, in: path, warn: warn) { hooks[event] = hook }
        }
        let known = Set(HookEvent.allCases.map(\.rawValue))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        where !known.contains(name) && !name.hasPrefix(".") && access(path + "/" + name, X_OK) == 0 {
            var entry = stat()
            if stat(path + "/" + name, &entry) == 0, (entry.st_mode & S_IFMT) == S_IFREG {
                warn(
                    "hook directory \(path): \(name) is not an event name and never runs (events: "
                        + HookEvent.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
        }
    }

    /// Checks one event's hook again right before it runs (it may have changed since).
    public static func executable(_ event: HookEvent, in directory: String, warn: (String) -> Void)
        throws(HookError) -> String?
    {
        let path = directory + "/" + event.rawValue
        var link = stat()
        guard lstat(path, &link) == 0 else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HookError(code: .notRegularFile, event: event, path: path, detail: "is not a regular file")
        }
        guard info.st_mode & 0o111 != 0 else {
            warn("\(event.rawValue) hook \(path) is not executable and is skipped (chmod +x to enable it)")
            return nil
        }
        try checkOwnership(info, event: event, path: path, what: "the hook")
        if (link.st_mode & S_IFMT) == S_IFLNK {
            // A symlink is followed; what it points to, and where that lives, must be as safe.
            guard let resolved = realpath(path, nil) else {
                throw HookError(code: .notRegularFile, event: event, path: path, detail: "cannot be resolved")
            }
            defer { free(resolved) }
            let parent = (String(cString: resolved) as NSString).deletingLastPathComponent
            var parentInfo = stat()
            guard stat(parent, &parentInfo) == 0 else {
                throw HookError(code: .notRegularFile, event: event, path: path, detail: "cannot be resolved")
            }
            try checkOwnership(parentInfo, event: event, path: path, what: "the directory \(parent) it links into")
        }
        return path
    }

    private static func checkOwnership(_ info: stat, event: HookEvent?, path: String, what: String) throws(HookError) {
        if info.st_uid != 0 && info.st_uid != geteuid() {
            throw HookError(
                code: .insecure, event: event, path: path,
                detail: "is refused: \(what) is owned by uid \(info.st_uid), not root or the user pgsnap runs as")
        }
        // A sticky directory writable by others (/tmp) is still unsafe for hooks.
        if info.st_mode & 0o022 != 0 {
            throw HookError(
                code: .insecure, event: event, path: path,
                detail: "is refused: \(what) is writable by group or others (mode "
                    + String(info.st_mode & 0o7777, radix: 8) + ")")
        }
    }
}

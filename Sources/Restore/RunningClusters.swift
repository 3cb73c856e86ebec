internal import Foundation
internal import Glibc

/// Every directory the PostgreSQL servers running on this host use, found from `/proc` and from
/// the data directories a restore knows about (the original one recorded in the backup).
///
/// A restore must never write into one of them, whatever `--overwrite` says: a live tablespace
/// or pg_wal replaced under a running server corrupts it silently. A postmaster is a `postgres`
/// process whose parent is not one; its data directory is its working directory (the
/// postmaster changes into it) or its `-D`, confirmed by the pid in `postmaster.pid`.
struct RunningClusters: Sendable {
    var directories: [InUseDirectory] = []
    /// Device and inode of every directory above each in-use one, to the root: a destination
    /// that is one of them under another name (a bind mount of a parent) contains a live
    /// directory that a path comparison cannot see, and `--overwrite` would delete it.
    var containers: [(device: UInt64, inode: UInt64, contained: InUseDirectory)] = []

    /// The live process a data directory's postmaster.pid names, if any (a stale file's pid
    /// may since belong to another program: `scan` checks the command too).
    static func postmasterPID(in dataDirectory: String) -> Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)),
            pid > 0
        else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }

    /// Scans `proc` and checks `known` data directories as well, so a server is found even
    /// where `/proc` hides other users' processes.
    static func scan(known: [String], proc: String = "/proc") -> RunningClusters {
        var clusters = RunningClusters()
        var seen: Set<String> = []
        func add(_ pid: Int32, _ dataDirectory: String) {
            let resolved = Self.resolved(dataDirectory)
            guard seen.insert(resolved).inserted else { return }
            clusters.addCluster(pid: pid, dataDirectory: resolved)
        }
        for directory in known {
            // A stale postmaster.pid whose pid now belongs to another program is no server.
            if let pid = Self.postmasterPID(in: directory),
                commandAndParent(proc, pid).map({ isPostgres($0.0) }) ?? true
            {
                add(pid, directory)
            }
        }
        for (pid, candidates) in postmasters(proc: proc) {
            for candidate in candidates where confirms(candidate, pid: pid) {
                add(pid, candidate)
                break
            }
        }
        return clusters
    }

    /// Whether a running server has `dataDirectory` as its data directory.
    func runsIn(_ dataDirectory: String) -> Bool {
        let path = Self.resolved(dataDirectory)
        return directories.contains { $0.use == .dataDirectory && $0.path == path }
    }

    /// The running server's directory that `destination` is, lies inside, or contains.
    func conflict(with destination: String) -> (InUseDirectory, String)? {
        let path = Self.resolved(destination)
        for used in directories {
            if path == used.path { return (used, "is") }
            if path.hasPrefix(used.path + "/") { return (used, "is inside") }
            if used.path.hasPrefix(path + "/") { return (used, "contains") }
        }
        var destination = stat()
        if stat(path, &destination) == 0,
            let found = containers.first(where: {
                $0.device == UInt64(destination.st_dev) && $0.inode == UInt64(destination.st_ino)
            })
        {
            return (found.contained, "contains")
        }
        // The same directory under another name (a bind mount): compare device and inode of
        // the destination and of each directory above it.
        var current = path
        while true {
            var info = stat()
            if stat(current, &info) == 0,
                let used = directories.first(where: {
                    $0.device == UInt64(info.st_dev) && $0.inode == UInt64(info.st_ino)
                })
            {
                return (used, current == path ? "is" : "is inside")
            }
            if current == "/" || current.isEmpty { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// A running server's data directory, its tablespaces and its pg_wal.
    private mutating func addCluster(pid: Int32, dataDirectory: String) {
        func add(_ path: String, _ use: InUseDirectory.Use) {
            let resolved = Self.resolved(path)
            var info = stat()
            guard stat(resolved, &info) == 0 else { return }
            let used = InUseDirectory(
                path: resolved, device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                use: use, pid: pid, dataDirectory: dataDirectory)
            directories.append(used)
            var parent = resolved
            while parent != "/" && !parent.isEmpty {
                parent = (parent as NSString).deletingLastPathComponent
                var above = stat()
                if stat(parent, &above) == 0 {
                    containers.append((UInt64(above.st_dev), UInt64(above.st_ino), used))
                }
            }
        }
        add(dataDirectory, .dataDirectory)
        add(dataDirectory + "/pg_wal", .wal)
        let links = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/pg_tblspc")) ?? []
        for oid in links.sorted() { add(dataDirectory + "/pg_tblspc/" + oid, .tablespace(oid: oid)) }
    }

    /// Postmasters in `/proc` with the data directories they may run in: the working
    /// directory first, then an absolute `-D`.
    static func postmasters(proc: String) -> [(Int32, [String])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? []
        var found: [(Int32, [String])] = []
        for name in names {
            guard let pid = Int32(name), pid > 0, let (command, parent) = commandAndParent(proc, pid),
                isPostgres(command), !(commandAndParent(proc, parent).map { isPostgres($0.0) } ?? false)
            else { continue }
            var candidates: [String] = []
            if let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/\(pid)/cwd") {
                candidates.append(cwd)
            }
            if let directory = dataDirectoryArgument(ProcFile.read("\(proc)/\(pid)/cmdline") ?? []) {
                candidates.append(directory)
            }
            found.append((pid, candidates))
        }
        return found
    }

    /// `/proc/PID/stat`'s command name and parent pid. The name is in parentheses and may
    /// itself contain spaces and parentheses, so the fields after it are found from the last ")".
    static func commandAndParent(_ proc: String, _ pid: Int32) -> (String, Int32)? {
        guard let bytes = ProcFile.read("\(proc)/\(pid)/stat") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let command = String(text[text.index(after: open)..<close])
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 1, let parent = Int32(rest[1]) else { return nil }
        return (command, parent)
    }

    static func isPostgres(_ command: String) -> Bool {
        command == "postgres" || command == "postmaster"
    }

    /// The value of `-D DIR` or `-DDIR` in a NUL-separated command line, if absolute.
    static func dataDirectoryArgument(_ cmdline: [UInt8]) -> String? {
        let arguments = cmdline.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        for (index, argument) in arguments.enumerated() {
            var value: String?
            if argument == "-D", index + 1 < arguments.count {
                value = arguments[index + 1]
            } else if argument.hasPrefix("-D"), argument.count > 2 {
                value = String(argument.dropFirst(2))
            }
            if let value, value.hasPrefix("/") { return value }
        }
        return nil
    }

    /// `postmaster.pid` in `directory` names `pid`; an unreadable one (another user's, without
    /// root) is taken as a yes, since wrongly refusing is safe and wrongly writing is not.
    static func confirms(_ directory: String, pid: Int32) -> Bool {
        let path = directory + "/postmaster.pid"
        guard let bytes = ProcFile.read(path) else { return errno == EACCES || errno == EPERM }
        let first = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return Int32(first.trimmingCharacters(in: .whitespaces)) == pid
    }

    /// `path` with symlinks resolved as far as it exists; the missing rest appended as given.
    static func resolved(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty && existing != "/" {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return path
    }
}

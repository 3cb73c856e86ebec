import Archive
import Foundation
import Testing

@testable import PostgresFormat

/// Builds file trees with exact bytes, modes, owners and times for the archive tests, and reads
/// them back the same way after an extraction.
enum ArchiveFixtures {
    /// What a test compares between an original tree and an extracted one.
    struct Observed: Equatable, CustomStringConvertible {
        var kind: EntryKind
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var modificationTime: Int64?
        var contents: [UInt8]?
        var linkTarget: [UInt8]?

        var description: String {
            "\(kind) mode=\(String(mode, radix: 8)) \(uid):\(gid) mtime=\(modificationTime.map(String.init) ?? "-") "
                + "size=\(contents?.count ?? 0) link=\(linkTarget.map { String(decoding: $0, as: UTF8.self) } ?? "-")"
        }
    }

    static func path(_ root: String, _ relative: RawPath) -> RawPath {
        RawPath(root).appending(relative)
    }

    /// Creates (or replaces) a file with `contents`, `mode` and optionally a modification time.
    static func file(_ path: RawPath, _ contents: [UInt8], mode: UInt32 = 0o644, mtime: Int64? = nil) throws {
        let descriptor = path.withCString { open($0, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600) }
        try #require(descriptor >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
        defer { close(descriptor) }
        var offset = 0
        while offset < contents.count {
            let written = contents.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return write(descriptor, base + offset, raw.count - offset)
            }
            try #require(written > 0, "cannot write \(path)")
            offset += written
        }
        try #require(fchmod(descriptor, mode_t(mode)) == 0)
        if let mtime { try setTime(path, mtime) }
    }

    static func file(_ path: RawPath, _ text: String, mode: UInt32 = 0o644, mtime: Int64? = nil) throws {
        try file(path, Array(text.utf8), mode: mode, mtime: mtime)
    }

    static func directory(_ path: RawPath, mode: UInt32 = 0o755) throws {
        let rc = path.withCString { mkdir($0, mode_t(mode)) }
        try #require(rc == 0 || errno == EEXIST, "cannot mkdir \(path): \(String(cString: strerror(errno)))")
        // mkdir applies the umask; tests want the exact bits.
        try #require(path.withCString { chmod($0, mode_t(mode)) } == 0)
    }

    static func symlink(_ path: RawPath, to target: RawPath) throws {
        let rc = target.withCString { targetName in path.withCString { Foundation.symlink(targetName, $0) } }
        try #require(rc == 0, "cannot symlink \(path): \(String(cString: strerror(errno)))")
    }

    static func setTime(_ path: RawPath, _ seconds: Int64) throws {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        let rc = path.withCString { utimensat(AT_FDCWD, $0, &times, AT_SYMLINK_NOFOLLOW) }
        try #require(rc == 0, "cannot set time of \(path)")
    }

    static func owner(_ path: RawPath, uid: UInt32, gid: UInt32) throws {
        try TestTier.requireIntegration("gives a file to uid \(uid)")
        try #require(path.withCString { lchown($0, uid, gid) } == 0, "cannot chown \(path)")
    }

    static func bytes(_ path: RawPath) throws -> [UInt8] {
        let descriptor = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        try #require(descriptor >= 0, "cannot open \(path): \(String(cString: strerror(errno)))")
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            try #require(count >= 0)
            if count == 0 { return result }
            result += chunk[0..<count]
        }
    }

    /// lstat-based view of one path; nil when it does not exist.
    static func observe(_ path: RawPath, times: Bool = true) throws -> Observed? {
        var status = stat()
        guard path.withCString({ lstat($0, &status) }) == 0 else { return nil }
        let type = status.st_mode & S_IFMT
        let kind: EntryKind = type == S_IFDIR ? .directory : type == S_IFLNK ? .symlink : .file
        var observed = Observed(
            kind: kind, mode: status.st_mode & 0o7777, uid: status.st_uid, gid: status.st_gid,
            modificationTime: times && kind != .symlink ? Int64(status.st_mtim.tv_sec) : nil)
        switch kind {
        case .file: observed.contents = try bytes(path)
        case .symlink:
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = path.withCString { readlink($0, &buffer, buffer.count) }
            observed.linkTarget = buffer[0..<max(length, 0)].map { UInt8(bitPattern: $0) }
            observed.mode = 0  // link modes are meaningless on Linux
        case .directory: break
        }
        return observed
    }

    /// Every path under `root` (not following symlinks), sorted, as archive entries.
    static func entries(under root: String) throws -> [ArchiveEntry] {
        var entries: [ArchiveEntry] = []
        try collect(RawPath(root), relative: RawPath(bytes: []), into: &entries)
        return entries
    }

    private static func collect(_ directory: RawPath, relative: RawPath, into entries: inout [ArchiveEntry]) throws {
        guard let handle = directory.withCString({ opendir($0) }) else { throw Failure("cannot list \(directory)") }
        var names: [RawPath] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [46] && name != [46, 46] { names.append(RawPath(bytes: name)) }
        }
        closedir(handle)
        for name in names.sorted() {
            let source = directory.appending(name)
            var status = stat()
            try #require(source.withCString { lstat($0, &status) } == 0)
            let type = status.st_mode & S_IFMT
            let kind: EntryKind = type == S_IFDIR ? .directory : type == S_IFLNK ? .symlink : .file
            let target = kind == .symlink ? try observe(source)?.linkTarget.map { RawPath(bytes: $0) } : nil
            let header = TarHeader(
                kind: kind, path: relative.appending(name), mode: status.st_mode, uid: status.st_uid,
                gid: status.st_gid, modificationTime: Int64(status.st_mtim.tv_sec),
                size: UInt64(status.st_size), linkTarget: target)
            entries.append(ArchiveEntry(header: header, sourcePath: source))
            if kind == .directory { try collect(source, relative: relative.appending(name), into: &entries) }
        }
    }

    /// Recursive removal that copes with the unusual modes the tests create.
    static func remove(_ path: String) {
        _ = Command.run("/bin/rm", ["-rf", path])
    }

    /// `size` bytes, half random and half repetitive text in 64 KiB stretches.
    static func mixedData(_ size: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var data = [UInt8]()
        data.reserveCapacity(size)
        let text = Array("INSERT INTO pgbench_accounts VALUES (42, 1, 0, ''); ".utf8)
        while data.count < size {
            if data.count / 65536 % 2 == 0 {
                for _ in 0..<512 {
                    let word = generator.next()
                    withUnsafeBytes(of: word) { data += $0 }
                }
            } else {
                data += text
            }
        }
        return Array(data.prefix(size))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

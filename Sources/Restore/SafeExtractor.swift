internal import Archive
internal import Glibc
internal import PostgresFormat
internal import SystemCalls

/// Creates files, directories and links strictly inside one root directory, whatever the
/// archive says.
///
/// Every path is resolved component by component from the root's descriptor with
/// `O_NOFOLLOW`, so neither a `..`, an absolute name nor a symlink (one already there or one an
/// earlier member created) can lead a write outside; files are created with `O_EXCL`, so a
/// member can never open something that exists. This is the whole of restore's defence against
/// hostile archives: the rest of the code can stay simple because it cannot escape this type.
final class SafeExtractor {
    let rootPath: String
    private let root: Int32
    private let owner: RestoreOwner?
    /// Open descriptors of directories created or visited, by relative path.
    private var directories: [[UInt8]: Int32] = [:]

    /// Opens `rootPath`, which must exist and be a directory (not a symlink to one).
    init(rootPath: String, owner: RestoreOwner?) throws(RestoreError) {
        let descriptor = open(rootPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot open \(rootPath)", underlying: Errno.current.description)
        }
        self.rootPath = rootPath
        root = descriptor
        self.owner = owner
    }

    deinit {
        for descriptor in directories.values { close(descriptor) }
        close(root)
    }

    /// The root's descriptor, for `syncfs`.
    var rootDescriptor: Int32 { root }

    // MARK: - Paths

    /// The directory holding `components`' last element, creating missing directories (0700)
    /// on the way; never through a symlink.
    func parent(of components: [[UInt8]], memberPath: RawPath) throws(RestoreError) -> Int32 {
        try directory(Array(components.dropLast()), memberPath: memberPath)
    }

    private func directory(_ components: [[UInt8]], memberPath: RawPath) throws(RestoreError) -> Int32 {
        if components.isEmpty { return root }
        let key = Array(components.joined(separator: [UInt8(ascii: "/")]))
        if let open = directories[key] { return open }
        let parent = try directory(Array(components.dropLast()), memberPath: memberPath)
        let name = components[components.count - 1]
        var descriptor = Self.openDirectory(parent, name)
        if descriptor < 0 && errno == ENOENT {
            guard Self.call(name, { mkdirat(parent, $0, 0o700) }) == 0 || errno == EEXIST else {
                throw failure("cannot create directory", RawPath(bytes: key))
            }
            try chown(parent, name, RawPath(bytes: key))
            descriptor = Self.openDirectory(parent, name)
        }
        guard descriptor >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                throw RestoreError(
                    code: .hostile,
                    detail:
                        "archive member \(memberPath) leads through \(RawPath(bytes: key)), which is not a directory (a symlink?)"
                )
            }
            throw failure("cannot open directory", RawPath(bytes: key))
        }
        if directories.count > 512 {
            for open in directories.values { close(open) }
            directories.removeAll()
        }
        directories[key] = descriptor
        return descriptor
    }

    // MARK: - Creating

    /// A directory member: created with `mode` (or given it, when an earlier member implied it).
    func makeDirectory(_ components: [[UInt8]], mode: UInt32, memberPath: RawPath) throws(RestoreError) {
        let descriptor = try directory(components, memberPath: memberPath)
        guard fchmod(descriptor, mode_t(mode & 0o777)) == 0 else { throw failure("cannot set the mode of", memberPath) }
        if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 {
            throw failure("cannot give to \(owner.uid):\(owner.gid)", memberPath)
        }
    }

    /// A new regular file, open for writing; it must not exist yet.
    func createFile(_ components: [[UInt8]], mode: UInt32, memberPath: RawPath) throws(RestoreError) -> Int32 {
        let parent = try parent(of: components, memberPath: memberPath)
        let name = components[components.count - 1]
        let descriptor = Self.call(name) {
            openat(parent, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode & 0o777))
        }
        guard descriptor >= 0 else {
            if errno == EEXIST {
                throw RestoreError(
                    code: .hostile, detail: "archive member \(memberPath) names an entry that already exists")
            }
            throw failure("cannot create", memberPath)
        }
        // The umask may have narrowed the mode.
        _ = fchmod(descriptor, mode_t(mode & 0o777))
        if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 {
            close(descriptor)
            throw failure("cannot give to \(owner.uid):\(owner.gid)", memberPath)
        }
        return descriptor
    }

    /// A symlink named by `components` pointing at `target`, replacing nothing.
    func createSymlink(_ components: [[UInt8]], target: String, memberPath: RawPath) throws(RestoreError) {
        let parent = try parent(of: components, memberPath: memberPath)
        let name = components[components.count - 1]
        guard Self.call(name, { symlinkat(target, parent, $0) }) == 0 else {
            throw failure("cannot create symlink", memberPath)
        }
        if let owner {
            _ = Self.call(name) { fchownat(parent, $0, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) }
        }
    }

    /// Writes a small file in one go (the files restore holds back until the end).
    func writeFile(
        _ components: [[UInt8]], contents: [UInt8], mode: UInt32, modificationTime: Int64?,
        memberPath: RawPath
    ) throws(RestoreError) {
        let descriptor = try createFile(components, mode: mode, memberPath: memberPath)
        defer { close(descriptor) }
        try Self.writeAll(descriptor, contents, path: rootPath + "/" + memberPath.description)
        if let modificationTime { Self.setModificationTime(descriptor, modificationTime) }
        guard fsync(descriptor) == 0 else { throw failure("cannot sync", memberPath) }
    }

    /// fsyncs the directories holding `components`.
    func syncDirectory(_ components: [[UInt8]], memberPath: RawPath) throws(RestoreError) {
        let descriptor = try directory(components, memberPath: memberPath)
        guard fsync(descriptor) == 0 else { throw failure("cannot sync", memberPath) }
    }

    // MARK: - Helpers

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(RestoreError) {
        do {
            try bytes.withUnsafeBytes { buffer in try writeAll(descriptor, buffer, path: path) }
        } catch let error as RestoreError {
            throw error
        } catch {
            throw RestoreError(code: .destination, detail: "cannot write \(path)", underlying: "\(error)")
        }
    }

    static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws(RestoreError) {
        var offset = 0
        while offset < buffer.count {
            let written = SystemCall.retrying {
                write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                throw RestoreError(
                    code: .destination, detail: "cannot write \(path)", underlying: Errno.current.description)
            }
            offset += written
        }
    }

    static func setModificationTime(_ descriptor: Int32, _ seconds: Int64) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        _ = futimens(descriptor, &times)
    }

    private func chown(_ parent: Int32, _ name: [UInt8], _ path: RawPath) throws(RestoreError) {
        guard let owner else { return }
        guard Self.call(name, { fchownat(parent, $0, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) }) == 0 else {
            throw failure("cannot give to \(owner.uid):\(owner.gid)", path)
        }
    }

    private func failure(_ what: String, _ path: RawPath) -> RestoreError {
        RestoreError(code: .destination, detail: "\(what) \(rootPath)/\(path)", underlying: Errno.current.description)
    }

    private static func openDirectory(_ parent: Int32, _ name: [UInt8]) -> Int32 {
        call(name) { openat(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    }

    /// Calls `body` with `name` NUL-terminated.
    static func call(_ name: [UInt8], _ body: (UnsafePointer<CChar>) -> Int32) -> Int32 {
        var terminated = name.map { CChar(bitPattern: $0) }
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension SafeExtractor {
    /// Appends to an existing regular file (never through a symlink), creating it if missing;
    /// returns the file's whole contents afterwards, for the manifest copy.
    func append(_ components: [[UInt8]], _ bytes: [UInt8], memberPath: RawPath) throws(RestoreError) -> [UInt8] {
        let parent = try parent(of: components, memberPath: memberPath)
        let name = components[components.count - 1]
        let descriptor = Self.call(name) {
            openat(parent, $0, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot open \(rootPath)/\(memberPath)",
                underlying: Errno.current.description)
        }
        defer { close(descriptor) }
        try Self.writeAll(descriptor, bytes, path: rootPath + "/" + memberPath.description)
        guard fsync(descriptor) == 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot sync \(rootPath)/\(memberPath)",
                underlying: Errno.current.description)
        }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = SystemCall.retrying {
                buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, offset) }
            }
            guard count >= 0 else {
                throw RestoreError(
                    code: .destination, detail: "cannot read back \(rootPath)/\(memberPath)",
                    underlying: Errno.current.description)
            }
            if count == 0 { break }
            contents += buffer[..<count]
            offset += off_t(count)
        }
        return contents
    }
}

internal import Glibc
internal import PostgresFormat
internal import SystemCalls

/// An archive or manifest being written: created exclusively (an existing file is never
/// overwritten, so two runs cannot clobber each other), mode 0600 (backups hold every row of
/// every table), written in large chunks, and synced before it counts as written.
final class OutputFile {
    let path: RawPath
    private var descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    private(set) var bytesWritten: UInt64 = 0

    init(creating path: RawPath, bufferSize: Int = 4 << 20) throws(ArchiveError) {
        self.path = path
        let descriptor = path.withCString { open($0, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600) }
        if descriptor < 0 { throw SystemCall.error(.writeFailed, path, "could not create file") }
        self.descriptor = descriptor
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            if used == buffer.count { try drain() }
            offset += copyIn(bytes, from: offset)
        }
    }

    func write(_ bytes: [UInt8]) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            if used == buffer.count { try drain() }
            offset += bytes.withUnsafeBytes { copyIn($0, from: offset) }
        }
    }

    private func copyIn(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
        let count = min(buffer.count - used, bytes.count - offset)
        guard count > 0, let source = bytes.baseAddress, let target = buffer.baseAddress else { return 0 }
        (target + used).copyMemory(from: source + offset, byteCount: count)
        used += count
        return count
    }

    /// Writes what is buffered, syncs the file and its directory entry, and closes it.
    func finish() throws(ArchiveError) {
        try drain()
        if fsync(descriptor) != 0 { throw SystemCall.error(.writeFailed, path, "could not fsync file") }
        let rc = close(descriptor)
        descriptor = -1
        if rc != 0 { throw SystemCall.error(.writeFailed, path, "could not close file") }
        try syncDirectory()
    }

    /// Closes and removes the file after a failure, so a partial archive is never mistaken for
    /// a complete one.
    func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        _ = path.withCString { unlink($0) }
    }

    private func drain() throws(ArchiveError) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < used {
            let count = SystemCall.retrying { Glibc.write(descriptor, base + offset, used - offset) }
            if count < 0 { throw SystemCall.error(.writeFailed, path, "could not write file") }
            // A zero-length write without an error: treat as a full device, not a busy loop.
            if count == 0 { throw SystemCall.error(.writeFailed, path, "could not write file", errno: ENOSPC) }
            offset += count
        }
        bytesWritten += UInt64(used)
        used = 0
    }

    /// Without syncing the directory, a crash right after the backup could lose the file's name.
    private func syncDirectory() throws(ArchiveError) {
        var directory = path.bytes
        if let slash = directory.lastIndex(of: UInt8(ascii: "/")) {
            directory = slash == 0 ? [UInt8(ascii: "/")] : Array(directory[..<slash])
        } else {
            directory = [UInt8(ascii: ".")]
        }
        let parent = RawPath(bytes: directory)
        let descriptor = parent.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if descriptor < 0 { throw SystemCall.error(.writeFailed, parent, "could not open directory") }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 { throw SystemCall.error(.writeFailed, parent, "could not fsync directory") }
    }
}

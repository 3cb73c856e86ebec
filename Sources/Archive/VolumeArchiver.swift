internal import Compression
internal import Glibc
public import PostgresFormat
internal import SystemCalls

/// Turns one volume's listing into one `.tar.zst` file: read each file once, checksum it on the
/// way, tar it, compress it with zstd's worker threads, write it to a new file, sync it.
///
/// An archiver does blocking I/O from start to end, so it belongs on a thread of its own (see
/// `ArchiveThreads`), one per volume, never on the Swift concurrency pool. It holds no state
/// between calls; every `archive` call creates its own compressor and output file.
public struct VolumeArchiver: Sendable {
    /// The archive to create; it must not exist yet.
    public var outputPath: String
    public var compressionLevel: Int
    /// zstd worker threads; 0 compresses on the calling thread.
    public var workers: Int
    public var checksumAlgorithm: ChecksumAlgorithm
    /// Put before each archive path in manifest records: `pg_tblspc/<oid>` for a tablespace's
    /// archive, whose members are named `PG_…/…`; empty for `base.tar`.
    public var manifestPathPrefix: RawPath
    /// Shared counters to add to as data moves; nil when nobody watches.
    public var progress: ArchiveProgress?
    /// The size of each read (and of each chunk handed to the compressor).
    public var readSize: Int
    /// Evict each file from the page cache once read. Right for snapshot mounts, whose cached
    /// pages nobody else will use; wrong for the live path, where it would evict the running
    /// server's cache.
    public var dropsPageCache: Bool
    /// Polled between files and chunks; returning true stops with `interrupted`.
    public var shouldStop: @Sendable () -> Bool
    /// `max_rate`, shared by every archiver of the backup; nil reads at full speed.
    public var rateLimit: ReadRateLimit?

    public init(
        outputPath: String, compressionLevel: Int = 3, workers: Int = 0,
        checksumAlgorithm: ChecksumAlgorithm = .crc32c, manifestPathPrefix: RawPath = RawPath(bytes: []),
        progress: ArchiveProgress? = nil, readSize: Int = 1 << 20, dropsPageCache: Bool = false,
        shouldStop: @escaping @Sendable () -> Bool = { false }, rateLimit: ReadRateLimit? = nil
    ) {
        self.outputPath = outputPath
        self.compressionLevel = compressionLevel
        self.workers = workers
        self.checksumAlgorithm = checksumAlgorithm
        self.manifestPathPrefix = manifestPathPrefix
        self.progress = progress
        self.readSize = readSize
        self.dropsPageCache = dropsPageCache
        self.shouldStop = shouldStop
        self.rateLimit = rateLimit
    }

    /// Archives `generatedFiles` first (`backup_label`, `tablespace_map` when known at the
    /// start), then `entries` in order, then whatever `trailingFiles` returns once the last entry
    /// is in (the label files of a backup whose backup mode ends only after every file was read,
    /// or `.done` markers). On any failure the partial archive is removed and the error thrown.
    public func archive(
        _ entries: [ArchiveEntry], generatedFiles: [GeneratedFile] = [],
        trailingFiles: () throws(ArchiveError) -> [GeneratedFile] = { [] }
    ) throws(ArchiveError)
        -> VolumeArchiveResult
    {
        let output = try OutputFile(creating: RawPath(outputPath))
        do throws(ArchiveError) {
            let compressor = try makeCompressor()
            let progress = progress
            let writer = TarWriter(bufferSize: readSize) { chunk throws(ArchiveError) in
                try Self.compress(chunk, with: compressor, into: output, progress: progress)
            }
            var result = VolumeArchiveResult()
            for file in generatedFiles {
                try checkStop()
                try append(file, to: writer, result: &result)
            }
            for entry in entries {
                try checkStop()
                try append(entry, to: writer, result: &result)
            }
            for file in try trailingFiles() {
                try checkStop()
                try append(file, to: writer, result: &result)
            }
            try writer.finish()
            try Self.finishCompression(compressor, into: output, progress: progress)
            try output.finish()
            result.tarBytes = writer.bytesWritten
            result.bytesWritten = output.bytesWritten
            return result
        } catch {
            output.abandon()
            throw error
        }
    }

    // MARK: - Members

    private func append(_ file: GeneratedFile, to writer: TarWriter, result: inout VolumeArchiveResult)
        throws(ArchiveError)
    {
        var checksum = FileChecksum(checksumAlgorithm)
        file.contents.withUnsafeBytes { checksum.update($0) }
        try writer.appendFile(file.header, contents: file.contents)
        // Counted as a file but not as bytes read: nothing was read from the volume.
        progress?.record(files: 1)
        result.manifestRecords.append(record(file.header, checksum))
        result.files += 1
        result.members += 1
    }

    private func append(_ entry: ArchiveEntry, to writer: TarWriter, result: inout VolumeArchiveResult)
        throws(ArchiveError)
    {
        guard entry.kind == .file else {
            try writer.append(entry.header)
            result.members += 1
            return
        }
        guard let descriptor = try openForReading(entry.sourcePath) else {
            result.vanishedFiles.append(entry.sourcePath)
            return
        }
        defer {
            if dropsPageCache { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED) }
            close(descriptor)
        }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
        var checksum = FileChecksum(checksumAlgorithm)
        let progress = progress
        let copy = try writer.appendFile(entry.header, readingFrom: descriptor, sourcePath: entry.sourcePath) {
            chunk throws(ArchiveError) in
            checksum.update(chunk)
            progress?.record(read: UInt64(chunk.count))
            try checkStop()
            try rateLimit?.pace(chunk.count, path: outputPath, shouldStop: shouldStop)
        }
        progress?.record(files: 1)
        if copy.zeroFilled > 0 { result.shrunkFiles.append(entry.sourcePath) }
        result.manifestRecords.append(record(entry.header, checksum))
        result.files += 1
        result.members += 1
        result.bytesRead += copy.bytesRead
    }

    private func record(_ header: TarHeader, _ checksum: FileChecksum) -> ManifestFileRecord {
        ManifestFileRecord(
            path: manifestPathPrefix.appending(header.path), size: header.size,
            modificationTime: header.modificationTime, checksumAlgorithm: checksumAlgorithm,
            checksum: checksum.finalize())
    }

    /// The open descriptor, or nil when the file vanished after it was listed.
    private func openForReading(_ path: RawPath) throws(ArchiveError) -> Int32? {
        // O_NOATIME spares the live path an inode write per file; only the owner or root may
        // use it, so anyone else retries without.
        var descriptor = path.withCString { name in
            SystemCall.retrying { open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | Self.noAccessTime) }
        }
        if descriptor < 0 && errno == EPERM {
            descriptor = path.withCString { name in
                SystemCall.retrying { open(name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
            }
        }
        if descriptor >= 0 { return descriptor }
        if errno == ENOENT { return nil }
        throw SystemCall.error(.readFailed, path, "could not open file")
    }

    /// Linux's O_NOATIME, which Glibc only exports with _GNU_SOURCE.
    private static let noAccessTime: Int32 = 0o1000000

    private func checkStop() throws(ArchiveError) {
        if shouldStop() {
            throw ArchiveError(code: .interrupted, path: outputPath, reason: "a stop was requested")
        }
    }

    // MARK: - Compression

    private func makeCompressor() throws(ArchiveError) -> ZstdCompressor {
        do {
            return try ZstdCompressor(level: compressionLevel, workers: workers)
        } catch {
            throw ArchiveError(code: .compressionFailed, path: outputPath, reason: error.message)
        }
    }

    /// Compresses one tar chunk into the output file. ZstdCompressor's sink throws untyped
    /// errors; the write errors it passes through are ours and keep their code.
    private static func compress(
        _ chunk: UnsafeRawBufferPointer, with compressor: ZstdCompressor,
        into output: OutputFile, progress: ArchiveProgress?
    ) throws(ArchiveError) {
        do {
            try compressor.compress(chunk) { compressed in
                try output.write(compressed)
                progress?.record(written: UInt64(compressed.count))
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(code: .compressionFailed, path: output.path.description, reason: "\(error)")
        }
    }

    private static func finishCompression(
        _ compressor: ZstdCompressor, into output: OutputFile,
        progress: ArchiveProgress?
    ) throws(ArchiveError) {
        do {
            try compressor.finish { compressed in
                try output.write(compressed)
                progress?.record(written: UInt64(compressed.count))
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(code: .compressionFailed, path: output.path.description, reason: "\(error)")
        }
    }
}

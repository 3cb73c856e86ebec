internal import Archive
internal import Compression
internal import Foundation
internal import Glibc
internal import PostgresFormat
internal import TargetLayout

/// Extracts one archive of a backup into its root directory, checking every file against the
/// manifest as it goes, so a damaged archive stops the restore before anything is declared
/// complete.
struct ArchiveExtraction {
    struct Result: Sendable {
        var files = 0
        var bytes: UInt64 = 0
        /// Manifest paths of the files extracted.
        var manifestPaths: [RawPath] = []
        var held: [HeldFile] = []
        var walFiles: [String] = []
        /// Each WAL segment's first bytes and size, for `WALSegmentHeader`'s check.
        var walHeaders: [String: (header: [UInt8], size: UInt64)] = [:]
    }

    let archive: StoredBackup.Archive
    let index: ManifestIndex
    /// OIDs whose `pg_tblspc/<oid>` link restore recreates itself.
    let tablespaceOIDs: Set<UInt32>
    /// With `--waldir`: base.tar's `pg_wal` directories are not created (pg_wal becomes a
    /// symlink); the server recreates `archive_status` and `summaries` there if missing.
    var skipsWALDirectory = false
    let progress: ArchiveProgress
    let shouldStop: @Sendable () -> Bool

    func run(into extractor: SafeExtractor) throws(RestoreError) -> Result {
        let tar: TarReader
        do {
            tar = try ArchiveStream.open(archive.path).1
        } catch {
            throw RestoreError(code: .damaged, detail: "cannot open \(archive.name)", underlying: Self.describe(error))
        }
        var result = Result()
        do {
            while let member = try tar.next() {
                if shouldStop() { throw RestoreError(code: .interrupted, detail: "restore interrupted") }
                try extract(member, from: tar, into: extractor, result: &result)
            }
        } catch let error as TarReadError {
            throw RestoreError(code: .damaged, detail: "archive \(archive.name) \(error.description)")
        } catch let error as RestoreError {
            throw error
        } catch {
            throw RestoreError(code: .damaged, detail: "archive \(archive.name) cannot be read", underlying: "\(error)")
        }
        return result
    }

    private func extract(
        _ member: TarMember, from tar: TarReader, into extractor: SafeExtractor,
        result: inout Result
    ) throws {
        let components: [[UInt8]]
        switch MemberPath.components(member.path) {
        case .success(let parts): components = parts
        case .failure(let refused): throw hostile(member, refused.reason)
        }
        let relative = RawPath(bytes: Array(components.joined(separator: [UInt8(ascii: "/")])))
        if archive.role == .wal, !MemberPath.belongsInWALArchive(relative, kind: member.kind) {
            throw hostile(member, "does not belong in a WAL archive")
        }
        if skipsWALDirectory, archive.role == .dataDirectory, components[0] == Array("pg_wal".utf8) {
            guard member.kind == .directory else {
                throw hostile(member, "is a file in pg_wal, which base.tar.zst never holds")
            }
            return
        }
        if archive.role == .dataDirectory, let oid = MemberPath.tablespaceOID(components), tablespaceOIDs.contains(oid)
        {
            // The link to a tablespace is recreated to wherever it is restored; nothing may
            // live under it in the base archive.
            guard components.count == 2, member.kind == .symlink else {
                throw hostile(member, "would be written through tablespace link pg_tblspc/\(oid)")
            }
            return
        }
        switch member.kind {
        case .directory:
            try extractor.makeDirectory(components, mode: member.mode, memberPath: relative)
        case .file:
            try extractFile(
                member, relative: relative, components: components, from: tar, into: extractor, result: &result)
        case .symlink:
            throw hostile(
                member, "is a symlink to \(member.linkTarget?.description ?? "?"), which pgsnap archives never hold")
        case .hardLink:
            throw hostile(member, "is a hard link to \(member.linkTarget?.description ?? "?")")
        case .other(let type):
            throw hostile(member, "is a special file (tar type '\(String(UnicodeScalar(type)))')")
        }
    }

    private func extractFile(
        _ member: TarMember, relative: RawPath, components: [[UInt8]], from tar: TarReader,
        into extractor: SafeExtractor, result: inout Result
    ) throws {
        let record: ManifestFileRecord?
        if let prefix = archive.manifestPrefix {
            let manifestPath = prefix.appending(relative)
            guard let found = index[manifestPath] else {
                throw RestoreError(
                    code: .damaged,
                    detail: "archive \(archive.name) holds \(relative), which backup_manifest does not list")
            }
            record = found
            result.manifestPaths.append(manifestPath)
        } else {
            record = nil
        }
        var checksum = FileChecksum(record?.checksumAlgorithm ?? .none)
        var size: UInt64 = 0
        if archive.role == .dataDirectory && HeldFile.names.contains(relative) {
            guard member.size <= 1 << 20 else {
                throw hostile(member, "is \(member.size) bytes, far more than PostgreSQL writes")
            }
            var contents: [UInt8] = []
            try tar.readContent { chunk in
                checksum.update(chunk)
                contents += chunk
            }
            size = UInt64(contents.count)
            try check(record, relative: relative, size: size, checksum: checksum)
            result.held.append(
                HeldFile(
                    path: relative, contents: contents, mode: member.mode,
                    modificationTime: member.modificationTime))
            return
        }
        let descriptor = try extractor.createFile(components, mode: member.mode, memberPath: relative)
        defer { close(descriptor) }
        let path = extractor.rootPath + "/" + relative.description
        var header: [UInt8] = []
        try tar.readContent { chunk in
            if archive.role == .wal, header.count < WALSegmentHeader.length {
                header += chunk.prefix(WALSegmentHeader.length - header.count)
            }
            checksum.update(chunk)
            try SafeExtractor.writeAll(descriptor, chunk, path: path)
            size += UInt64(chunk.count)
            progress.record(read: UInt64(chunk.count))
        }
        SafeExtractor.setModificationTime(descriptor, member.modificationTime)
        try check(record, relative: relative, size: size, checksum: checksum)
        result.files += 1
        result.bytes += size
        if archive.role == .wal && components.count == 1 {
            let name = String(decoding: components[0], as: UTF8.self)
            result.walFiles.append(name)
            if MemberPath.isWALSegmentName(Substring(name)) { result.walHeaders[name] = (header, size) }
        }
    }

    private func check(_ record: ManifestFileRecord?, relative: RawPath, size: UInt64, checksum: FileChecksum) throws {
        guard let record else { return }
        if let problem = ManifestIndex.mismatch(record, size: size, checksum: checksum.finalize()) {
            throw RestoreError(code: .damaged, detail: "\(relative) in \(archive.name) \(problem)")
        }
    }

    private func hostile(_ member: TarMember, _ reason: String) -> RestoreError {
        RestoreError(code: .hostile, detail: "refusing archive member \(member.path) of \(archive.name): it \(reason)")
    }

    static func describe(_ failure: ZstdReader.Failure) -> String {
        switch failure {
        case .io(let message): return message
        case .corrupt(let message): return "corrupt: \(message)"
        case .truncated: return "truncated"
        }
    }
}

internal import Archive
internal import Compression
internal import Foundation
internal import PostgresFormat
internal import TargetLayout

/// Reads one archive of a backup to its end without writing anything, checking each member
/// against the manifest and collecting every problem on the way.
struct ArchiveCheck {
    struct Outcome: Sendable {
        var problems: [VerifyProblem] = []
        /// Manifest paths seen, and whether the archive was read to its end (only then is a
        /// file missing from it a real absence rather than a consequence of the damage).
        var seen: Set<RawPath> = []
        var complete = false
        var files = 0
        var bytes: UInt64 = 0
        var compressedBytes: UInt64 = 0
        /// WAL segment name → its first page, for the WAL checks.
        var walHeaders: [String: [UInt8]] = [:]
        var walSizes: [String: UInt64] = [:]
        /// base.tar.zst's `backup_label`, `tablespace_map` and `global/pg_control`, for the
        /// cross-check with backup.json.
        var heldFiles: [RawPath: [UInt8]] = [:]
    }

    let archive: StoredBackup.Archive
    let index: ManifestIndex?
    let tablespaceOIDs: Set<UInt32>
    let progress: ArchiveProgress

    func run() -> Outcome {
        var outcome = Outcome()
        guard FileManager.default.fileExists(atPath: archive.path) else {
            outcome.problems.append(
                VerifyProblem(
                    kind: .archiveMissing, archive: archive.name,
                    message: "\(archive.name) is missing"))
            return outcome
        }
        let opened: (ZstdReader, TarReader)
        do {
            opened = try ArchiveStream.open(archive.path)
        } catch {
            outcome.problems.append(problem(ArchiveStream.tarError(error)))
            return outcome
        }
        let (reader, tar) = opened
        do {
            while let member = try tar.next() {
                try check(member, tar: tar, outcome: &outcome)
            }
            outcome.complete = true
        } catch let error as TarReadError {
            outcome.problems.append(problem(error))
        } catch {
            outcome.problems.append(
                VerifyProblem(kind: .archiveCorrupt, archive: archive.name, message: "\(archive.name): \(error)"))
        }
        outcome.compressedBytes = reader.compressedBytesRead
        return outcome
    }

    private func check(_ member: TarMember, tar: TarReader, outcome: inout Outcome) throws {
        let components: [[UInt8]]
        switch MemberPath.components(member.path) {
        case .success(let parts): components = parts
        case .failure(let refused):
            outcome.problems.append(unsafe(member, refused.reason))
            return
        }
        let relative = RawPath(bytes: Array(components.joined(separator: [UInt8(ascii: "/")])))
        if archive.role == .wal, !MemberPath.belongsInWALArchive(relative, kind: member.kind) {
            outcome.problems.append(unsafe(member, "does not belong in a WAL archive"))
            return
        }
        switch member.kind {
        case .directory:
            return
        case .symlink:
            let isTablespaceLink =
                archive.role == .dataDirectory && components.count == 2
                && MemberPath.tablespaceOID(components).map(tablespaceOIDs.contains) == true
            if !isTablespaceLink {
                outcome.problems.append(unsafe(member, "is a symlink, which pgsnap archives only hold for tablespaces"))
            }
            return
        case .hardLink, .other:
            outcome.problems.append(unsafe(member, "is a hard link or special file"))
            return
        case .file:
            break
        }
        if archive.role == .wal {
            try checkWAL(relative: relative, components: components, tar: tar, outcome: &outcome)
            return
        }
        let manifestPath = (archive.manifestPrefix ?? RawPath(bytes: [])).appending(relative)
        let record = index?[manifestPath]
        var checksum = FileChecksum(record?.checksumAlgorithm ?? .none)
        var size: UInt64 = 0
        let held = archive.role == .dataDirectory && HeldFile.names.contains(relative)
        if held, member.size > UInt64(BackupContents.maximumHeldFileBytes) {
            outcome.problems.append(unsafe(member, "is \(member.size) bytes, far more than PostgreSQL writes"))
        }
        var contents: [UInt8] = []
        try tar.readContent { chunk in
            checksum.update(chunk)
            size += UInt64(chunk.count)
            if held, contents.count < BackupContents.maximumHeldFileBytes { contents += chunk }
        }
        if held { outcome.heldFiles[relative] = contents }
        progress.record(read: size)
        outcome.files += 1
        outcome.bytes += size
        // Without a trustworthy manifest the archive is still read to the end (zstd and tar
        // integrity), but there is nothing to compare files with.
        guard index != nil else { return }
        guard let record else {
            outcome.problems.append(
                VerifyProblem(
                    kind: .fileUnexpected, archive: archive.name, path: manifestPath.description,
                    message: "\(manifestPath) is in \(archive.name) but not in backup_manifest"))
            return
        }
        outcome.seen.insert(manifestPath)
        if size != record.size {
            outcome.problems.append(
                VerifyProblem(
                    kind: .fileSize, archive: archive.name, path: manifestPath.description,
                    message: "\(manifestPath) is \(size) bytes, backup_manifest says \(record.size)"))
        } else if let expected = record.checksum, let actual = checksum.finalize(), actual != expected {
            outcome.problems.append(
                VerifyProblem(
                    kind: .fileChecksum, archive: archive.name, path: manifestPath.description,
                    message:
                        "\(manifestPath) has \(record.checksumAlgorithm.rawValue) \(actual), backup_manifest says \(expected)"
                ))
        }
    }

    private func checkWAL(
        relative: RawPath, components: [[UInt8]], tar: TarReader,
        outcome: inout Outcome
    ) throws {
        // Names were checked by MemberPath.belongsInWALArchive: a .done marker or a WAL file.
        let name = relative.description
        guard components.count == 1 else { return }
        var header: [UInt8] = []
        var size: UInt64 = 0
        try tar.readContent { chunk in
            if header.count < WALSegmentHeader.length { header += chunk.prefix(WALSegmentHeader.length - header.count) }
            size += UInt64(chunk.count)
        }
        progress.record(read: size)
        outcome.files += 1
        outcome.bytes += size
        if MemberPath.isWALSegmentName(Substring(name)) {
            outcome.walHeaders[name] = header
            outcome.walSizes[name] = size
        }
    }

    private func unsafe(_ member: TarMember, _ reason: String) -> VerifyProblem {
        VerifyProblem(
            kind: .memberUnsafe, archive: archive.name, path: member.path.description,
            message: "\(archive.name) member \(member.path) \(reason); restore would refuse it")
    }

    private func problem(_ error: TarReadError) -> VerifyProblem {
        switch error {
        case .truncated:
            return VerifyProblem(
                kind: .archiveTruncated, archive: archive.name, message: "\(archive.name) \(error.description)")
        case .corrupt, .malformed:
            return VerifyProblem(
                kind: .archiveCorrupt, archive: archive.name, message: "\(archive.name) \(error.description)")
        case .source:
            return VerifyProblem(
                kind: .archiveMissing, archive: archive.name, message: "\(archive.name) \(error.description)")
        }
    }
}

import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// VolumeArchiver's contract beyond the tar format: generated files first, manifest records,
/// progress, and the failure paths (full target, unreadable file, stop request).
@Suite("Archive volume archiver")
struct ArchiveVolumeTests {
    static func header(_ path: String, size: UInt64 = 0, kind: EntryKind = .file) -> TarHeader {
        TarHeader(
            kind: kind, path: RawPath(path), mode: kind == .directory ? 0o700 : 0o600, uid: 0, gid: 0,
            modificationTime: 1_700_000_000, size: size)
    }

    @Test func generatedFilesComeFirstAndGetManifestRecords() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        try ArchiveFixtures.directory(RawPath(work + "/data"), mode: 0o700)
        try ArchiveFixtures.file(RawPath(work + "/data/PG_VERSION"), "15\n", mode: 0o600, mtime: 1_600_000_000)
        let entry = try #require(
            try ArchiveEntry.regularFile(at: RawPath(work + "/data/PG_VERSION"), named: "PG_VERSION"))
        #expect(try ArchiveEntry.regularFile(at: RawPath(work + "/data/missing"), named: "missing") == nil)
        let label = GeneratedFile(
            path: "backup_label", text: "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n")
        let map = GeneratedFile(path: "tablespace_map", text: "16500 /srv/ts\n")
        let progress = ArchiveProgress()
        let output = work + "/base.tar.zst"
        let marker = GeneratedFile(path: "archive_status/000000010000000000000002.done", contents: [])
        var trailingCalls = 0
        let result = try VolumeArchiver(outputPath: output, checksumAlgorithm: .sha256, progress: progress)
            .archive(
                [entry], generatedFiles: [label, map],
                trailingFiles: { () throws(ArchiveError) in
                    trailingCalls += 1
                    return [marker]
                })
        #expect(trailingCalls == 1)

        let listing = try Command.output("/usr/bin/tar", ["-t", "--zstd", "-f", output])
        #expect(
            listing.split(separator: "\n").map(String.init) == [
                "backup_label", "tablespace_map", "PG_VERSION", marker.path.description,
            ])
        #expect(result.manifestRecords.map(\.path) == ["backup_label", "tablespace_map", "PG_VERSION", marker.path])
        #expect(result.manifestRecords.allSatisfy { $0.checksumAlgorithm == .sha256 })
        var sha = SHA256()
        sha.update(label.contents)
        #expect(result.manifestRecords[0].checksum == sha.finalize())
        #expect(result.manifestRecords[2].modificationTime == 1_600_000_000)
        #expect(
            progress.current
                == ArchiveCounters(
                    bytesRead: 3,
                    bytesWritten: result.bytesWritten, files: 4))
        let extracted = work + "/out"
        try ArchiveFixtures.directory(RawPath(extracted))
        try Command.output("/usr/bin/tar", ["-x", "--zstd", "-f", output, "-C", extracted])
        #expect(try ArchiveFixtures.observe(RawPath(extracted + "/backup_label"))?.mode == 0o600)
    }

    @Test func tablespaceRecordsCarryTheManifestPrefix() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/ts/PG_15_202209061/5"
        try ArchiveFixtures.directory(RawPath(work + "/ts"), mode: 0o700)
        try ArchiveFixtures.directory(RawPath(work + "/ts/PG_15_202209061"), mode: 0o700)
        try ArchiveFixtures.directory(RawPath(source), mode: 0o700)
        try ArchiveFixtures.file(RawPath(source + "/16390"), ArchiveFixtures.mixedData(8192))
        let listing = try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15))
            .tablespace(at: RawPath(work + "/ts"), versionDirectory: "PG_15_202209061")
        let result = try VolumeArchiver(outputPath: work + "/16500.tar.zst", manifestPathPrefix: "pg_tblspc/16500")
            .archive(listing.entries)
        #expect(result.manifestRecords.map(\.path) == ["pg_tblspc/16500/PG_15_202209061/5/16390"])
        #expect(result.members == 3 && result.files == 1)
    }

    /// A full target fails with ENOSPC's own words and leaves no partial archive behind.
    @Test(.integration) func aFullTargetIsAWriteFailureWithStrerror() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        let mount = work + "/small"
        try ArchiveFixtures.directory(RawPath(mount), mode: 0o700)
        try Command.output("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount])
        defer { _ = Command.run("/bin/umount", [mount]) }
        // Random data does not compress, so 4 MiB cannot fit in 1 MiB.
        try ArchiveFixtures.file(RawPath(work + "/random"), (0..<(4 << 20)).map { _ in UInt8.random(in: 0...255) })
        let entry = try #require(try ArchiveEntry.regularFile(at: RawPath(work + "/random"), named: "random"))
        let error = #expect(throws: ArchiveError.self) {
            try VolumeArchiver(outputPath: mount + "/base.tar.zst", workers: 2).archive([entry])
        }
        #expect(error?.code == .writeFailed)
        #expect(error?.reason.contains("No space left on device") == true, "\(String(describing: error))")
        #expect(error?.exitStatus == .target)
        #expect(!FileManager.default.fileExists(atPath: mount + "/base.tar.zst"))
    }

    @Test func anUnreadableFileIsAReadFailure() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        try ArchiveFixtures.directory(RawPath(work + "/not-a-file"))
        // A directory where a file was listed: open succeeds, read fails with EISDIR.
        let entry = ArchiveEntry(header: Self.header("not-a-file", size: 10), sourcePath: RawPath(work + "/not-a-file"))
        let error = #expect(throws: ArchiveError.self) {
            try VolumeArchiver(outputPath: work + "/base.tar.zst").archive([entry])
        }
        #expect(error?.code == .readFailed)
        #expect(error?.path == work + "/not-a-file")
        #expect(error?.reason.contains("Is a directory") == true)
        #expect(!FileManager.default.fileExists(atPath: work + "/base.tar.zst"))
    }

    @Test func aStopRequestEndsTheArchiveAndRemovesIt() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        try ArchiveFixtures.file(RawPath(work + "/big"), ArchiveFixtures.mixedData(8 << 20))
        let entry = try #require(try ArchiveEntry.regularFile(at: RawPath(work + "/big"), named: "big"))
        let progress = ArchiveProgress()
        // Stop once the first mebibytes went through: the check runs between chunks too.
        let archiver = VolumeArchiver(
            outputPath: work + "/base.tar.zst", progress: progress,
            shouldStop: { progress.current.bytesRead >= 2 << 20 })
        let error = #expect(throws: ArchiveError.self) { try archiver.archive([entry]) }
        #expect(error?.code == .interrupted)
        #expect(error?.exitStatus == .interrupted)
        #expect(progress.current.bytesRead < 8 << 20)
        #expect(!FileManager.default.fileExists(atPath: work + "/base.tar.zst"))
    }

    @Test func volumesArchiveConcurrentlyIntoOneProgress() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-volume-")
        defer { ArchiveFixtures.remove(work) }
        var jobs: [@Sendable () -> Result<VolumeArchiveResult, ArchiveError>] = []
        let progress = ArchiveProgress()
        for volume in 0..<3 {
            let root = work + "/volume\(volume)"
            try ArchiveFixtures.directory(RawPath(root))
            for file in 0..<5 {
                try ArchiveFixtures.file(RawPath(root + "/f\(file)"), ArchiveFixtures.mixedData(300_000 + file))
            }
            let entries = try ArchiveFixtures.entries(under: root)
            let archiver = VolumeArchiver(outputPath: work + "/v\(volume).tar.zst", workers: 1, progress: progress)
            jobs.append { Result { () throws(ArchiveError) in try archiver.archive(entries) } }
        }
        let results = try ArchiveThreads.run(jobs).map { try $0.get() }
        #expect(results.map(\.files) == [5, 5, 5])
        #expect(progress.current.files == 15)
        #expect(progress.current.bytesRead == results.reduce(0) { $0 + $1.bytesRead })
        #expect(progress.current.bytesWritten == results.reduce(0) { $0 + $1.bytesWritten })
        for volume in 0..<3 { try Command.output("/usr/bin/zstd", ["-t", "-q", work + "/v\(volume).tar.zst"]) }
    }
}

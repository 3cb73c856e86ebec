import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// Our tar streams, compressed with zstd, extracted by GNU tar and by bsdtar: names, contents,
/// modes, owners, times and link targets must all come back.
@Suite("Archive tar format")
struct ArchiveTarTests {
    static let oldTime: Int64 = 1_000_000_000
    static let newTime: Int64 = 1_700_000_123

    /// A tree with every shape a cluster (or its administrator) can produce.
    static func makeTree(_ root: String) throws {
        func at(_ relative: String) -> RawPath { RawPath(root).appending(RawPath(relative)) }
        try ArchiveFixtures.file(at("short.txt"), "hello\n", mode: 0o644, mtime: oldTime)
        try ArchiveFixtures.file(at("empty"), [], mode: 0o600, mtime: newTime)
        try ArchiveFixtures.file(at("block512"), ArchiveFixtures.mixedData(512), mode: 0o640)
        try ArchiveFixtures.file(at("block8192"), ArchiveFixtures.mixedData(8192), mode: 0o400)
        try ArchiveFixtures.file(at("odd"), ArchiveFixtures.mixedData(3 * 1_048_576 + 7), mode: 0o4755)
        try ArchiveFixtures.file(at("noaccess"), "secret", mode: 0o000)
        try ArchiveFixtures.directory(at("sticky"), mode: 0o1777)
        try ArchiveFixtures.directory(at("setgid"), mode: 0o2750)
        try ArchiveFixtures.file(at("setgid/owned"), "numeric owner", mode: 0o660)
        try ArchiveFixtures.owner(at("setgid/owned"), uid: 12345, gid: 54321)

        // > 100 bytes: fits ustar's prefix + name split.
        let medium = String(repeating: "m", count: 70) + "/" + String(repeating: "n", count: 60)
        try ArchiveFixtures.directory(at(String(repeating: "m", count: 70)))
        try ArchiveFixtures.directory(at(medium))
        try ArchiveFixtures.file(at(medium + "/file-in-medium-path"), "medium", mode: 0o644)
        // > 255 bytes: only pax can hold it.
        var deep = ""
        for part in ["a", "b", "c"] {
            deep += (deep.isEmpty ? "" : "/") + String(repeating: part, count: 95)
            try ArchiveFixtures.directory(at(deep), mode: 0o750)
        }
        try ArchiveFixtures.file(at(deep + "/deep-file"), ArchiveFixtures.mixedData(1000), mode: 0o644, mtime: newTime)
        // A single component longer than 100 bytes cannot be split at a slash.
        try ArchiveFixtures.file(at(String(repeating: "L", count: 150)), "long name", mode: 0o644)
        // Names that are not UTF-8 (Latin-1 "fété"), short and long.
        let latin1 = RawPath(root).appending(RawPath(bytes: [0x66, 0xE9, 0x74, 0xE9]))
        try ArchiveFixtures.file(latin1, "latin-1", mode: 0o644)
        let longLatin1 = RawPath(root).appending(RawPath(bytes: [UInt8](repeating: 0xE9, count: 120)))
        try ArchiveFixtures.file(longLatin1, "long latin-1", mode: 0o644)

        try ArchiveFixtures.symlink(at("relative-link"), to: "short.txt")
        let longTarget =
            "/"
            + (1...12).map { String(repeating: Character(String($0 % 10)), count: 20) }
            .joined(separator: "/")
        try ArchiveFixtures.symlink(at("long-link"), to: RawPath(longTarget))
        try ArchiveFixtures.setTime(at("sticky"), oldTime)
        try ArchiveFixtures.setTime(at(deep), newTime)
    }

    static func archive(_ root: String, to output: String) throws -> VolumeArchiveResult {
        let entries = try ArchiveFixtures.entries(under: root)
        return try VolumeArchiver(outputPath: output, compressionLevel: 3, workers: 2).archive(entries)
    }

    static func compareTrees(_ original: String, _ extracted: String) throws {
        let entries = try ArchiveFixtures.entries(under: original)
        #expect(entries.count > 20)
        for entry in entries {
            let before = try ArchiveFixtures.observe(entry.sourcePath)
            let after = try ArchiveFixtures.observe(ArchiveFixtures.path(extracted, entry.archivePath))
            #expect(after == before, "\(entry.archivePath)")
        }
        #expect(try ArchiveFixtures.entries(under: extracted).count == entries.count)
    }

    @Test(.integration, arguments: ["gnu", "bsd"])
    func extractedTreeMatchesTheOriginal(tool: String) throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-tar-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/source"
        try ArchiveFixtures.directory(RawPath(source), mode: 0o700)
        try Self.makeTree(source)
        let archive = work + "/tree.tar.zst"
        let result = try Self.archive(source, to: archive)
        #expect(result.files == 12)
        #expect(result.vanishedFiles.isEmpty && result.shrunkFiles.isEmpty)

        let target = work + "/extracted"
        try ArchiveFixtures.directory(RawPath(target), mode: 0o700)
        if tool == "gnu" {
            try Command.output("/usr/bin/tar", ["-x", "--zstd", "--numeric-owner", "-p", "-f", archive, "-C", target])
        } else {
            let bsdtar = try #require(
                ["/usr/bin/bsdtar", "/bin/bsdtar"].first { FileManager.default.isExecutableFile(atPath: $0) },
                "bsdtar missing: apt-get install libarchive-tools")
            try Command.output(bsdtar, ["-x", "--numeric-owner", "-p", "-f", archive, "-C", target])
        }
        try Self.compareTrees(source, target)
    }

    @Test(.integration) func zstdAndTarAgreeTheStreamIsWellFormed() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-tar-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/source"
        try ArchiveFixtures.directory(RawPath(source), mode: 0o700)
        try Self.makeTree(source)
        let archive = work + "/tree.tar.zst"
        let result = try Self.archive(source, to: archive)
        try Command.output("/usr/bin/zstd", ["-t", "-q", archive])
        // GNU tar warns about anything odd (bad checksums, unknown pax keywords) on stderr. The one
        // expected warning is about hdrcharset, which only the long Latin-1 name needs.
        let listing = try Command.output("/usr/bin/tar", ["-t", "-v", "--zstd", "--numeric-owner", "-f", archive])
        let warnings = listing.split(separator: "\n").filter { $0.contains("tar:") }
        #expect(warnings == ["/usr/bin/tar: Ignoring unknown extended header keyword 'hdrcharset'"], "\(listing)")
        #expect(listing.contains("12345/54321"))
        let attributes = try FileManager.default.attributesOfItem(atPath: archive)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? UInt64) == result.bytesWritten)
        #expect(result.tarBytes % 512 == 0)
    }

    @Test func anExistingOutputIsNeverOverwritten() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-tar-")
        defer { ArchiveFixtures.remove(work) }
        let output = work + "/exists.tar.zst"
        try ArchiveFixtures.file(RawPath(output), "precious")
        let error = #expect(throws: ArchiveError.self) {
            try VolumeArchiver(outputPath: output).archive([])
        }
        #expect(error?.code == .writeFailed)
        #expect(error?.reason.contains("File exists") == true)
        #expect(try ArchiveFixtures.bytes(RawPath(output)) == Array("precious".utf8))
    }

    /// A file that shrank after listing is padded with zeros to its listed size, and one that
    /// grew is cut there, as pg_basebackup does; both keep the stream readable.
    @Test func changedSizesKeepTheListedSize() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-tar-")
        defer { ArchiveFixtures.remove(work) }
        let shrunk = RawPath(work + "/shrunk")
        let grown = RawPath(work + "/grown")
        let original = ArchiveFixtures.mixedData(5000)
        try ArchiveFixtures.file(shrunk, Array(original.prefix(1234)))
        try ArchiveFixtures.file(grown, original)
        func header(_ name: String, _ size: UInt64) -> TarHeader {
            TarHeader(
                kind: .file, path: RawPath(name), mode: 0o600, uid: 0, gid: 0, modificationTime: Self.newTime,
                size: size)
        }
        let entries = [
            ArchiveEntry(header: header("shrunk", 5000), sourcePath: shrunk),
            ArchiveEntry(header: header("grown", 1000), sourcePath: grown),
            ArchiveEntry(header: header("vanished", 10), sourcePath: RawPath(work + "/never-there")),
        ]
        let output = work + "/changed.tar.zst"
        let result = try VolumeArchiver(outputPath: output).archive(entries)
        #expect(result.shrunkFiles == [shrunk])
        #expect(result.vanishedFiles == [RawPath(work + "/never-there")])
        #expect(result.files == 2)
        #expect(result.bytesRead == 1234 + 1000)

        let target = work + "/out"
        try ArchiveFixtures.directory(RawPath(target))
        try Command.output("/usr/bin/tar", ["-x", "--zstd", "-f", output, "-C", target])
        #expect(
            try ArchiveFixtures.bytes(RawPath(target + "/shrunk"))
                == Array(original.prefix(1234)) + [UInt8](repeating: 0, count: 5000 - 1234))
        #expect(try ArchiveFixtures.bytes(RawPath(target + "/grown")) == Array(original.prefix(1000)))
        #expect(!FileManager.default.fileExists(atPath: target + "/vanished"))
        // The manifest checksum covers what the archive holds, zeros included.
        var crc = CRC32C()
        (Array(original.prefix(1234)) + [UInt8](repeating: 0, count: 5000 - 1234)).withUnsafeBytes { crc.update($0) }
        #expect(result.manifestRecords.first?.checksum == crc.finalize())
    }

    /// Sizes from 8 GiB need pax `size=` (and GNU base-256 in the ustar field). The member's data
    /// is a hole in a sparse file, so the test writes 1 KiB to disk and both tools seek past it.
    @Test(arguments: ["gnu", "bsd"])
    func sizesFrom8GiBUsePax(tool: String) throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-tar-")
        defer { ArchiveFixtures.remove(work) }
        let size: UInt64 = 9 << 30
        var encoder = TarHeaderEncoder()
        let header = try encoder.encode(
            TarHeader(
                kind: .file, path: "huge", mode: 0o600, uid: 0, gid: 0,
                modificationTime: Self.newTime, size: size))
        #expect(header.count == 3 * 512)
        #expect(String(decoding: header[512..<1024], as: UTF8.self).contains("size=9663676416\n"))
        #expect(header[1024 + 124] == 0x80)
        let path = work + "/huge.tar"
        try ArchiveFixtures.file(RawPath(path), header)
        let total = off_t(UInt64(header.count) + size + 1024)
        #expect(truncate(path, total) == 0)
        let listing =
            tool == "gnu"
            ? try Command.output("/usr/bin/tar", ["-t", "-v", "-f", path])
            : try Command.output("/usr/bin/bsdtar", ["-t", "-v", "-f", path])
        #expect(listing.contains("9663676416"), "\(listing)")
        #expect(listing.contains("huge"))
    }

    @Test func paxRecordLengthsCountThemselves() {
        var records = PaxRecords()
        records.add("path", String(repeating: "p", count: 89))  // 1+4+1+89+1 = 96 → "98 "
        records.add("path", String(repeating: "q", count: 92))  // 99 body + 2 digits → 101 → 3 digits
        let text = String(decoding: records.encoded(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 2)
        for line in lines {
            let length = Int(line.prefix { $0 != " " })
            #expect(length == line.utf8.count + 1)
        }
    }

    @Test func ustarSplitsAtASlashWhenItCan() throws {
        let path = Array((String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 90)).utf8)
        let split = try #require(TarHeaderEncoder.splitUstarName(path))
        #expect(split.prefix.count == 120 && split.name.count == 90)
        #expect(TarHeaderEncoder.splitUstarName(Array(String(repeating: "x", count: 101).utf8)) == nil)
        #expect(TarHeaderEncoder.splitUstarName(Array((String(repeating: "d", count: 160) + "/f").utf8)) == nil)
    }
}

import Foundation
import Testing

@testable import Archive
@testable import Compression
@testable import PostgresFormat

/// The reading side: TarReader against TarWriter, GNU tar and bsdtar, and hostile bytes;
/// ZstdReader against our compressor and the zstd tool, telling truncated from corrupt;
/// BackupManifest against ManifestBuilder and a real pg_basebackup.
@Suite("Archive reading")
struct ArchiveReadTests {
    // MARK: - Helpers

    /// A `TarReader.Source` over bytes in memory: fills the whole buffer until the bytes run out.
    final class MemorySource: @unchecked Sendable {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
            let count = min(buffer.count, bytes.count - offset)
            guard count > 0 else { return 0 }
            bytes.withUnsafeBytes { all in
                UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: all[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
    }

    struct ReadMember: Equatable {
        var member: TarMember
        var content: [UInt8]
    }

    static func reader(_ bytes: [UInt8]) -> TarReader {
        let source = MemorySource(bytes)
        return TarReader { source.fill($0) }
    }

    static func readAll(_ reader: TarReader) throws -> [ReadMember] {
        var members: [ReadMember] = []
        while let member = try reader.next() {
            var content: [UInt8] = []
            try reader.readContent { content += $0 }
            members.append(ReadMember(member: member, content: content))
        }
        return members
    }

    static func readAll(_ bytes: [UInt8]) throws -> [ReadMember] {
        try readAll(reader(bytes))
    }

    /// Writes members with TarWriter into memory; a small buffer so chunks cross block edges.
    static func writeTar(_ members: [(TarHeader, [UInt8])], bufferSize: Int = 4096) throws -> [UInt8] {
        var output: [UInt8] = []
        let writer = TarWriter(bufferSize: bufferSize) { chunk throws(ArchiveError) in output += chunk }
        for (header, contents) in members {
            if header.kind == .file {
                try writer.appendFile(header, contents: contents)
            } else {
                try writer.append(header)
            }
        }
        try writer.finish()
        return output
    }

    /// What the reader should return for a header TarWriter wrote.
    static func expected(_ header: TarHeader) -> TarMember {
        let kind: TarMember.Kind =
            switch header.kind {
            case .file: .file
            case .directory: .directory
            case .symlink: .symlink
            }
        return TarMember(
            kind: kind, path: header.path, mode: header.mode, uid: header.uid, gid: header.gid,
            modificationTime: header.modificationTime, size: header.size, linkTarget: header.linkTarget)
    }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// A hand-made ustar header block (POSIX magic), with a correct checksum unless told otherwise.
    static func rawHeader(
        _ name: String, type: UInt8, size: UInt64 = 0, link: String = "", mode: UInt32 = 0o644,
        checksumDelta: Int = 0
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, _ offset: Int, _ width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: width - 1 - digits.count) + digits, offset)
        }
        put(name, 0)
        octal(UInt64(mode), 100, 8)
        octal(1000, 108, 8)
        octal(1000, 116, 8)
        octal(size, 124, 12)
        octal(1_700_000_000, 136, 12)
        block[156] = type
        put(link, 157)
        put("ustar", 257)
        put("00", 263)
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) } + checksumDelta
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: 6 - digits.count) + digits, 148)
        block[154] = 0
        return block
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }

    static let endOfArchive = [UInt8](repeating: 0, count: 1024)

    static func bsdtarPath() throws -> String {
        try #require(
            ["/usr/bin/bsdtar", "/bin/bsdtar"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "bsdtar missing: apt-get install libarchive-tools")
    }

    // MARK: - TarWriter → TarReader

    static let oddName = RawPath(bytes: [0x66, 0xE9, 0x74, 0xE9])

    static func roundTripMembers() -> [(TarHeader, [UInt8])] {
        let time: Int64 = 1_700_000_123
        func file(
            _ path: RawPath, _ contents: [UInt8], mode: UInt32 = 0o644, uid: UInt32 = 26, gid: UInt32 = 26,
            mtime: Int64 = time
        ) -> (TarHeader, [UInt8]) {
            (
                TarHeader(
                    kind: .file, path: path, mode: mode, uid: uid, gid: gid, modificationTime: mtime,
                    size: UInt64(contents.count)), contents
            )
        }
        func directory(_ path: RawPath, mode: UInt32, mtime: Int64 = time) -> (TarHeader, [UInt8]) {
            (TarHeader(kind: .directory, path: path, mode: mode, uid: 26, gid: 26, modificationTime: mtime), [])
        }
        func symlink(_ path: RawPath, _ target: RawPath) -> (TarHeader, [UInt8]) {
            (
                TarHeader(
                    kind: .symlink, path: path, mode: 0o777, uid: 26, gid: 26, modificationTime: time,
                    linkTarget: target), []
            )
        }
        let splitPath = RawPath(String(repeating: "a", count: 120) + "/" + String(repeating: "b", count: 79))
        let paxPath = RawPath("long/" + String(repeating: "p", count: 245))
        let longTarget = RawPath("/" + String(repeating: "t", count: 119))
        return [
            directory("base", mode: 0o700),
            file("base/empty", [], mode: 0o600),
            file("base/one", [0x42], mode: 0o640),
            file("base/511", random(511)),
            file("base/512", random(512)),
            file("base/513", random(513), mode: 0o4755),
            file("base/big", random(1_048_576 + 3), mtime: 1_000_000_000),
            directory("setgid", mode: 0o2750, mtime: 999),
            directory("sticky", mode: 0o1777),
            file("noaccess", Array("secret".utf8), mode: 0o000),
            symlink("base/link", "../noaccess"),
            file(splitPath, Array("ustar prefix".utf8)),
            file(paxPath, Array("pax path".utf8)),
            symlink("long-link", longTarget),
            file(oddName, Array("latin-1".utf8)),
            file(RawPath(bytes: [UInt8](repeating: 0xE9, count: 150)), Array("long latin-1".utf8)),
            file("bigids", Array("ids".utf8), uid: 3_000_000, gid: 2_097_152),
            file("maxids", Array("max ids".utf8), uid: UInt32.max - 1, gid: 4_000_000_000),
            file("future", Array("far".utf8), mtime: 1 << 34),
            file("past", Array("before 1970".utf8), mtime: -86_400 * 365),
            file("epoch", [], mtime: 0),
        ]
    }

    @Test func writerToReaderRoundTrip() throws {
        let members = Self.roundTripMembers()
        let archive = try Self.writeTar(members)
        let read = try Self.readAll(archive)
        #expect(read.count == members.count)
        for (index, (header, contents)) in members.enumerated() where index < read.count {
            #expect(read[index].member == Self.expected(header), "\(header.path)")
            #expect(read[index].content == contents, "\(header.path): \(read[index].content.count) bytes read")
        }
        #expect(read.map(\.member.path) == members.map(\.0.path))
    }

    @Test func nextReturnsNilAtTheEndAndStaysThere() throws {
        let reader = Self.reader(try Self.writeTar(Array(Self.roundTripMembers().prefix(3))))
        #expect(try Self.readAll(reader).count == 3)
        #expect(try reader.next() == nil)
        #expect(try reader.next() == nil)
        // An archive with nothing in it.
        let empty = Self.reader(try Self.writeTar([]))
        #expect(try empty.next() == nil)
    }

    @Test func unreadContentIsSkipped() throws {
        let members = Self.roundTripMembers()
        let reader = Self.reader(try Self.writeTar(members))
        // Never read any content: every header must still come back in order.
        var paths: [RawPath] = []
        var sizes: [UInt64] = []
        while let member = try reader.next() {
            paths.append(member.path)
            sizes.append(member.size)
        }
        #expect(paths == members.map(\.0.path))
        #expect(sizes == members.map(\.0.size))
    }

    @Test func contentAbandonedHalfWayIsSkipped() throws {
        struct Stop: Error {}
        let big = Self.random(3 * 1_048_576 + 5)
        let after = Self.random(700)
        let archive = try Self.writeTar([
            (
                TarHeader(
                    kind: .file, path: "big", mode: 0o600, uid: 0, gid: 0, modificationTime: 1, size: UInt64(big.count)),
                big
            ),
            (
                TarHeader(
                    kind: .file, path: "after", mode: 0o600, uid: 0, gid: 0, modificationTime: 2,
                    size: UInt64(after.count)), after
            ),
        ])
        let reader = Self.reader(archive)
        #expect(try reader.next()?.path == "big")
        var seen: [UInt8] = []
        #expect(throws: Stop.self) {
            try reader.readContent { chunk in
                seen += chunk
                throw Stop()
            }
        }
        #expect(!seen.isEmpty && seen.count < big.count)
        #expect(seen == Array(big.prefix(seen.count)))
        let next = try #require(try reader.next())
        #expect(next.path == "after" && next.modificationTime == 2)
        var content: [UInt8] = []
        try reader.readContent { content += $0 }
        #expect(content == after)
        #expect(try reader.next() == nil)
    }

    /// VolumeArchiver's .tar.zst read back through ZstdReader and TarReader.
    @Test(.integration) func volumeArchiveReadsBackThroughZstdReader() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-read-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/source"
        try ArchiveFixtures.directory(RawPath(source), mode: 0o700)
        try ArchiveTarTests.makeTree(source)
        let output = work + "/tree.tar.zst"
        _ = try ArchiveTarTests.archive(source, to: output)

        let zstd = try ZstdReader(path: output)
        let reader = TarReader { buffer in try zstd.readFully(into: buffer) }
        let read = try Self.readAll(reader)
        let entries = try ArchiveFixtures.entries(under: source)
        #expect(read.map(\.member.path) == entries.map(\.header.path))
        for (entry, got) in zip(entries, read) {
            #expect(got.member == Self.expected(entry.header), "\(entry.header.path)")
            if entry.header.kind == .file {
                #expect(got.content == (try ArchiveFixtures.bytes(entry.sourcePath)), "\(entry.header.path)")
            }
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: output)[.size] as? UInt64)
        #expect(zstd.compressedBytesRead == size)
    }

    /// The end-of-archive marker is not the end of the .zst file: the frame checksum (and the
    /// rest of the stream) must still be read, or damage there goes unnoticed.
    @Test func theWholeZstdStreamIsReadBehindTheTarEnd() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-read-")
        defer { ArchiveFixtures.remove(work) }
        let contents = Self.random(200_000)
        let tar = try Self.writeTar([
            (
                TarHeader(
                    kind: .file, path: "data", mode: 0o600, uid: 0, gid: 0,
                    modificationTime: 7, size: UInt64(contents.count)), contents
            )
        ])
        let compressed = try Self.compress(tar, workers: 0)
        func read(_ bytes: [UInt8]) throws -> [ReadMember] {
            let path = work + "/\(UUID().uuidString).tar.zst"
            try Self.writeFile(path, bytes)
            let zstd = try ZstdReader(path: path)
            let members = try Self.readAll(TarReader { try zstd.readFully(into: $0) })
            #expect(zstd.compressedBytesRead == UInt64(bytes.count))
            return members
        }
        #expect(try read(compressed).map(\.content) == [contents])
        // Only the frame checksum missing, or part of it.
        for cut in [4, 2] {
            #expect(throws: ZstdReader.Failure.truncated, "cut \(cut)") { try read(Array(compressed.dropLast(cut))) }
        }
        // The frame checksum damaged.
        var badChecksum = compressed
        badChecksum[badChecksum.count - 2] ^= 0x01
        let checksumError = #expect(throws: ZstdReader.Failure.self) { try read(badChecksum) }
        if case .corrupt = checksumError {} else { Issue.record("\(String(describing: checksumError))") }
        // A file's content damaged (random data: a raw block only the frame checksum covers).
        var badContent = compressed
        badContent[compressed.count / 2] ^= 0x01
        let contentError = #expect(throws: ZstdReader.Failure.self) { try read(badContent) }
        if case .corrupt = contentError {} else { Issue.record("\(String(describing: contentError))") }
    }

    // MARK: - Foreign archives

    /// A tree whose names need GNU long names (gnu format) or pax records: a 150-byte component,
    /// a path over 256 bytes and a 130-byte symlink target.
    static func makeForeignTree(_ root: String) throws -> [String] {
        func at(_ relative: String) -> RawPath { RawPath(root).appending(RawPath(relative)) }
        try ArchiveFixtures.file(at("short.txt"), "hello\n", mode: 0o644, mtime: 1_600_000_000)
        try ArchiveFixtures.file(at("empty"), [], mode: 0o600, mtime: 1_600_000_001)
        try ArchiveFixtures.file(at("data"), ArchiveFixtures.mixedData(200_000 + 17), mode: 0o640, mtime: 1_600_000_002)
        let longComponent = String(repeating: "L", count: 150)
        try ArchiveFixtures.file(at(longComponent), "long name\n", mode: 0o644, mtime: 1_600_000_003)
        try ArchiveFixtures.directory(at("deep"), mode: 0o750)
        var deep = "deep"
        for part in ["a", "b", "c"] {
            deep += "/" + String(repeating: part, count: 95)
            try ArchiveFixtures.directory(at(deep), mode: 0o755)
        }
        try ArchiveFixtures.file(
            at(deep + "/deep-file"), ArchiveFixtures.mixedData(1000), mode: 0o644,
            mtime: 1_600_000_004)
        try ArchiveFixtures.symlink(at("long-link"), to: RawPath("/" + String(repeating: "t", count: 129)))
        try ArchiveFixtures.symlink(at("short-link"), to: "short.txt")
        for directory in [
            deep, "deep/" + String(repeating: "a", count: 95) + "/" + String(repeating: "b", count: 95),
            "deep/" + String(repeating: "a", count: 95), "deep",
        ] {
            try ArchiveFixtures.setTime(at(directory), 1_600_000_100)
        }
        return ["short.txt", "empty", "data", longComponent, "deep", "long-link", "short-link"]
    }

    @Test(arguments: ["gnu", "oldgnu", "gnu-pax", "gnu-incremental", "bsdtar", "bsdtar-pax", "bsdtar-gnutar"])
    func foreignArchivesReadBack(format: String) throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-read-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/source"
        try ArchiveFixtures.directory(RawPath(source), mode: 0o755)
        let names = try Self.makeForeignTree(source)
        let archive = work + "/foreign.tar"
        switch format {
        case "gnu", "oldgnu":
            try Command.output("/usr/bin/tar", ["--format=\(format)", "-c", "-f", archive, "-C", source] + names)
        case "gnu-pax":
            try Command.output("/usr/bin/tar", ["--format=pax", "-c", "-f", archive, "-C", source] + names)
        case "gnu-incremental":
            // GNU-format headers carry atime and ctime where ustar has its prefix field.
            try Command.output(
                "/usr/bin/tar", ["--format=gnu", "--incremental", "-c", "-f", archive, "-C", source] + names)
        case "bsdtar":
            try Command.output(try Self.bsdtarPath(), ["-c", "-f", archive, "-C", source] + names)
        case "bsdtar-pax":
            try Command.output(try Self.bsdtarPath(), ["--format", "pax", "-c", "-f", archive, "-C", source] + names)
        case "bsdtar-gnutar":
            try Command.output(
                try Self.bsdtarPath(), ["--format", "gnutar", "-c", "-f", archive, "-C", source] + names)
        default:
            Issue.record("unknown format \(format)")
        }
        let read = try Self.readAll(try ArchiveFixtures.bytes(RawPath(archive)))
        var byPath: [RawPath: ReadMember] = [:]
        for member in read {
            #expect(byPath[member.member.path] == nil, "\(member.member.path) twice")
            byPath[member.member.path] = member
        }
        let entries = try ArchiveFixtures.entries(under: source)
        #expect(read.count == entries.count, "\(read.map(\.member.path))")
        for entry in entries {
            let header = entry.header
            guard let got = byPath[header.path] else {
                Issue.record("\(format): \(header.path) missing; read \(read.map(\.member.path))")
                continue
            }
            switch header.kind {
            case .file:
                #expect(got.member.kind == .file, "\(header.path)")
                #expect(got.content == (try ArchiveFixtures.bytes(entry.sourcePath)), "\(header.path)")
                #expect(got.member.size == header.size)
                #expect(got.member.mode == header.mode, "\(header.path)")
                #expect(got.member.modificationTime == header.modificationTime, "\(header.path)")
            case .directory:
                // An incremental dump stores directories as 'D' members listing their entries.
                let kind: TarMember.Kind = format == "gnu-incremental" ? .other(UInt8(ascii: "D")) : .directory
                #expect(got.member.kind == kind, "\(header.path)")
                #expect(got.member.mode == header.mode, "\(header.path)")
                #expect(got.member.modificationTime == header.modificationTime, "\(header.path)")
            case .symlink:
                #expect(got.member.kind == .symlink, "\(header.path)")
                #expect(got.member.linkTarget == header.linkTarget, "\(header.path)")
            }
            #expect(got.member.uid == header.uid && got.member.gid == header.gid, "\(header.path)")
        }
    }

    @Test func gnuTarHardLinksAndFIFOs() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-read-")
        defer { ArchiveFixtures.remove(work) }
        let source = work + "/source"
        try ArchiveFixtures.directory(RawPath(source), mode: 0o755)
        try ArchiveFixtures.file(RawPath(source + "/original"), "shared\n")
        #expect(link(source + "/original", source + "/second") == 0)
        #expect(mkfifo(source + "/fifo", 0o644) == 0)
        let archive = work + "/links.tar"
        try Command.output("/usr/bin/tar", ["-c", "-f", archive, "-C", source, "original", "second", "fifo"])
        let read = try Self.readAll(try ArchiveFixtures.bytes(RawPath(archive)))
        #expect(read.map(\.member.path) == ["original", "second", "fifo"])
        #expect(read.map(\.member.kind) == [.file, .hardLink, .other(UInt8(ascii: "6"))])
        #expect(read.first?.content == Array("shared\n".utf8))
        #expect(read.dropFirst().first?.member.linkTarget == "original")
        #expect(read.dropFirst().first?.member.size == 0)
    }

    // MARK: - Malformed tar

    @Test func aWrongHeaderChecksumIsMalformed() throws {
        var archive = try Self.writeTar([
            (
                TarHeader(
                    kind: .file, path: "a", mode: 0o644, uid: 0, gid: 0,
                    modificationTime: 5, size: 3), [1, 2, 3]
            )
        ])
        #expect(try Self.readAll(archive).count == 1)
        archive[10] ^= 0x01  // a byte of the name, checksum left alone
        let error = #expect(throws: TarReadError.self) { try Self.readAll(archive) }
        #expect(error == .malformed("header checksum mismatch"))
        // Off by one in the checksum field itself.
        let bad = Self.rawHeader("b", type: UInt8(ascii: "0"), checksumDelta: 1) + Self.endOfArchive
        #expect(throws: TarReadError.malformed("header checksum mismatch")) { try Self.readAll(bad) }
        let good = Self.rawHeader("b", type: UInt8(ascii: "0")) + Self.endOfArchive
        #expect(try Self.readAll(good).map(\.member.path) == ["b"])
    }

    @Test func truncatedStreamsAreTruncated() throws {
        let contents = Self.random(3000)
        let archive = try Self.writeTar([
            (
                TarHeader(kind: .file, path: "first", mode: 0o644, uid: 0, gid: 0, modificationTime: 5, size: 100),
                Array(contents.prefix(100))
            ),
            (
                TarHeader(kind: .file, path: "second", mode: 0o644, uid: 0, gid: 0, modificationTime: 5, size: 3000),
                contents
            ),
        ])
        // first: header 0..<512, content 512..<1024; second: header 1024..<1536, content 1536..<4608;
        // end of archive 4608..<5632.
        #expect(archive.count == 5632)
        for cut in [1536 + 1000, 1536 + 2999, 1536, 1024 + 100, 512 + 50, 600, 4607, 1024, 4608] {
            let error = #expect(throws: TarReadError.self, "cut at \(cut)") {
                try Self.readAll(Array(archive.prefix(cut)))
            }
            #expect(error == .truncated, "cut at \(cut)")
        }
        // One zero block is accepted as the end, as GNU tar does.
        #expect(try Self.readAll(Array(archive.prefix(4608 + 512))).count == 2)
        #expect(try Self.readAll(archive).count == 2)
        // Cut inside the padding of the last member.
        #expect(throws: TarReadError.truncated) { try Self.readAll(Array(archive.prefix(4600))) }
        // An empty stream has no end-of-archive marker either.
        #expect(throws: TarReadError.truncated) { try Self.readAll([]) }
    }

    @Test func skippingIntoATruncationIsTruncated() throws {
        let archive = try Self.writeTar([
            (
                TarHeader(kind: .file, path: "first", mode: 0o644, uid: 0, gid: 0, modificationTime: 5, size: 10_000),
                Self.random(10_000)
            )
        ])
        let reader = Self.reader(Array(archive.prefix(512 + 4000)))
        #expect(try reader.next()?.path == "first")
        #expect(throws: TarReadError.truncated) { try reader.next() }
    }

    @Test func aHugePaxHeaderIsMalformed() throws {
        let pax = Self.rawHeader("PaxHeaders/x", type: UInt8(ascii: "x"), size: 100_000_000)
        let error = #expect(throws: TarReadError.self) {
            try Self.readAll(pax + [UInt8](repeating: 0x41, count: 4096))
        }
        if case .malformed = error {} else { Issue.record("expected .malformed, got \(String(describing: error))") }
        let longName = Self.rawHeader("././@LongLink", type: UInt8(ascii: "L"), size: 100_000_000)
        let second = #expect(throws: TarReadError.self) {
            try Self.readAll(longName + [UInt8](repeating: 0x41, count: 4096))
        }
        if case .malformed = second {} else { Issue.record("expected .malformed, got \(String(describing: second))") }
    }

    @Test func badPaxRecordsAreMalformedNotACrash() throws {
        let bodies: [String] = [
            "12 path=x\n",  // length covers more than the body holds
            "5 path=abcdef\n",  // length too short
            "hello world\n",
            "12 path=abc\n9223372036854775807 path=x\n",  // a length that would overflow an index
            "11 pathabcd\n",  // no '='
        ]
        for body in bodies {
            let bytes = Array(body.utf8)
            let archive =
                Self.rawHeader("PaxHeaders/f", type: UInt8(ascii: "x"), size: UInt64(bytes.count))
                + Self.padded(bytes) + Self.rawHeader("f", type: UInt8(ascii: "0")) + Self.endOfArchive
            let error = #expect(throws: TarReadError.self, "\(body)") { try Self.readAll(archive) }
            if case .malformed = error {
            } else {
                Issue.record("\(body): expected .malformed, got \(String(describing: error))")
            }
        }
        // A good record still applies.
        let body = Array("13 path=abc/\n".utf8)
        let archive =
            Self.rawHeader("PaxHeaders/f", type: UInt8(ascii: "x"), size: UInt64(body.count))
            + Self.padded(body) + Self.rawHeader("f", type: UInt8(ascii: "0")) + Self.endOfArchive
        #expect(try Self.readAll(archive).map(\.member.path) == ["abc"])
    }

    @Test func linksDevicesAndFIFOsKeepTheirTypes() throws {
        let archive =
            Self.rawHeader("hard", type: UInt8(ascii: "1"), link: "target/file")
            + Self.rawHeader("fifo", type: UInt8(ascii: "6"))
            + Self.rawHeader("dev/null", type: UInt8(ascii: "3"))
            + Self.rawHeader("dev/sda", type: UInt8(ascii: "4"))
            + Self.rawHeader("contiguous", type: UInt8(ascii: "7"), size: 2) + Self.padded([7, 7])
            + Self.rawHeader("oldstyle", type: 0, size: 1) + Self.padded([9])
            + Self.rawHeader("dir/", type: UInt8(ascii: "5"), mode: 0o2755)
            + Self.endOfArchive
        let read = try Self.readAll(archive)
        #expect(read.map(\.member.path) == ["hard", "fifo", "dev/null", "dev/sda", "contiguous", "oldstyle", "dir"])
        #expect(
            read.map(\.member.kind) == [
                .hardLink, .other(UInt8(ascii: "6")), .other(UInt8(ascii: "3")),
                .other(UInt8(ascii: "4")), .file, .file, .directory,
            ])
        #expect(read[0].member.linkTarget == "target/file")
        #expect(read[1].member.linkTarget == nil)
        #expect(read[4].content == [7, 7] && read[5].content == [9])
        #expect(read[6].member.mode == 0o2755)
        #expect(read.allSatisfy { $0.member.uid == 1000 && $0.member.modificationTime == 1_700_000_000 })
    }

    // MARK: - ZstdReader

    static func compress(_ input: [UInt8], level: Int = 3, workers: Int) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: level, workers: workers)
        var output: [UInt8] = []
        try input.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + (1 << 17), all.count)
                try compressor.compress(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { output += $0 }
                offset = end
            }
        }
        try compressor.finish { output += $0 }
        return output
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    }

    /// Everything the reader yields, in reads of `chunk` bytes.
    static func decompress(_ path: String, chunk: Int = 65536) throws -> [UInt8] {
        let reader = try ZstdReader(path: path)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            output += buffer[..<count]
        }
        // The end stays the end.
        let again = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if again != 0 { throw ZstdReader.Failure.corrupt("bytes after the end") }
        return output
    }

    static func decompressError(_ bytes: [UInt8], in work: String) throws -> ZstdReader.Failure? {
        let path = work + "/damaged-\(UUID().uuidString).zst"
        try writeFile(path, bytes)
        defer { unlink(path) }
        do {
            _ = try decompress(path)
            return nil
        } catch let failure as ZstdReader.Failure {
            return failure
        }
    }

    @Test(arguments: [0, 2])
    func zstdRoundTripWithSeveralFrames(workers: Int) throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-zread-")
        defer { ArchiveFixtures.remove(work) }
        let first = ArchiveFixtures.mixedData(5 << 20)
        let second = ArchiveFixtures.mixedData(300_001)
        let path = work + "/two.zst"
        try Self.writeFile(path, try Self.compress(first, workers: workers) + Self.compress(second, workers: workers))
        for chunk in [65536, 1000, 1 << 20] {
            let output = try Self.decompress(path, chunk: chunk)
            #expect(output.count == first.count + second.count, "chunk \(chunk)")
            #expect(output == first + second, "chunk \(chunk)")
        }
        // readFully fills whole buffers across the frame boundary.
        let reader = try ZstdReader(path: path)
        var buffer = [UInt8](repeating: 0, count: 3 << 20)
        var total: [UInt8] = []
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.readFully(into: $0) }
            total += buffer[..<count]
            if count < buffer.count { break }
        }
        #expect(total == first + second)
    }

    @Test func anEmptyFrameAndAnEmptyFile() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-zread-")
        defer { ArchiveFixtures.remove(work) }
        let emptyFrame = work + "/empty-frame.zst"
        try Self.writeFile(emptyFrame, try Self.compress([], workers: 0))
        #expect(try Self.decompress(emptyFrame) == [])
        let emptyFile = work + "/empty.zst"
        try Self.writeFile(emptyFile, [])
        #expect(throws: ZstdReader.Failure.truncated) { try Self.decompress(emptyFile) }
    }

    @Test func zstdTruncationIsTruncated() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-zread-")
        defer { ArchiveFixtures.remove(work) }
        let first = try Self.compress(ArchiveFixtures.mixedData(2 << 20), workers: 2)
        let second = try Self.compress(ArchiveFixtures.mixedData(700_000), workers: 0)
        let both = first + second
        let cuts = [
            1, 3, 4, 6, 100, first.count / 3, first.count / 2, first.count - 4, first.count - 1,
            first.count + 2, first.count + second.count / 2, both.count - 1,
        ]
        for cut in cuts {
            let error = try Self.decompressError(Array(both.prefix(cut)), in: work)
            #expect(error == .truncated, "cut at \(cut) of \(both.count)")
        }
        // A cut exactly between frames leaves a complete (shorter) stream: nothing to detect.
        #expect(try Self.decompressError(first, in: work) == nil)
    }

    @Test func aFlippedByteIsDetected() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-zread-")
        defer { ArchiveFixtures.remove(work) }
        // Incompressible data is stored in raw blocks: only the frame checksum can notice.
        var raw = try Self.compress(Self.random(1 << 20), workers: 0)
        raw[raw.count / 2 + 1000] ^= 0x10
        let error = try Self.decompressError(raw, in: work)
        guard case .corrupt(let message) = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))")
            return
        }
        #expect(message.lowercased().contains("checksum"), "\(message)")
        // Compressible data: some failure, whatever zstd makes of it, never a silent success.
        for offset in [0.25, 0.5, 0.75] {
            var mixed = try Self.compress(ArchiveFixtures.mixedData(2 << 20), workers: 2)
            mixed[Int(Double(mixed.count) * offset)] ^= 0xff
            let failure = try Self.decompressError(mixed, in: work)
            #expect(failure != nil, "flip at \(offset)")
            if case .io = failure { Issue.record("a flipped byte reported as I/O") }
        }
        // Garbage after a complete frame.
        let trailing = try Self.compress(Array("hello".utf8), workers: 0) + Array("not zstd at all".utf8)
        if case .corrupt = try Self.decompressError(trailing, in: work) {
        } else {
            Issue.record("trailing garbage not reported as corrupt")
        }
    }

    @Test func theZstdToolsFilesReadBack() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-zread-")
        defer { ArchiveFixtures.remove(work) }
        let input = ArchiveFixtures.mixedData(3 << 20 + 11)
        try Self.writeFile(work + "/plain", input)
        try Command.output("/usr/bin/zstd", ["-q", "-3", "-o", work + "/tool.zst", work + "/plain"])
        try Command.output("/usr/bin/zstd", ["-q", "-19", "--no-check", "-o", work + "/nocheck.zst", work + "/plain"])
        #expect(try Self.decompress(work + "/tool.zst") == input)
        #expect(try Self.decompress(work + "/nocheck.zst") == input)
    }

    @Test func aMissingFileIsIO() throws {
        let error = #expect(throws: ZstdReader.Failure.self) {
            try ZstdReader(path: "/nonexistent/pgsnap-\(UUID().uuidString).zst")
        }
        #expect(error == .io("No such file or directory"))
        // A directory is not an archive: refused before any read, like a FIFO or a device.
        let directory = #expect(throws: ZstdReader.Failure.self) { try Self.decompress("/tmp") }
        if case .corrupt = directory {} else { Issue.record("reading a directory: \(String(describing: directory))") }
    }

    // MARK: - BackupManifest

    static let manifestRecords: [ManifestFileRecord] = [
        ManifestFileRecord(
            path: "PG_VERSION", size: 3, modificationTime: 0, checksumAlgorithm: .crc32c,
            checksum: "839206e3"),
        ManifestFileRecord(
            path: "global/pg_control", size: 8192, modificationTime: 1_700_000_000,
            checksumAlgorithm: .sha256, checksum: String(repeating: "0123456789abcdef", count: 4)),
        ManifestFileRecord(
            path: "base/1/1259", size: 1_073_741_824, modificationTime: 1_600_000_000,
            checksumAlgorithm: .none, checksum: nil),
        ManifestFileRecord(
            path: ArchiveReadTests.oddName, size: 7, modificationTime: -1, checksumAlgorithm: .crc32c,
            checksum: "deadbeef"),
        ManifestFileRecord(
            path: RawPath(bytes: Array("odd/a\"b\\c\td\u{1}é\n".utf8)), size: 0,
            modificationTime: 4_102_444_800, checksumAlgorithm: .none, checksum: nil),
        ManifestFileRecord(
            path: RawPath(bytes: [0x7a, 0xff, 0x00, 0x01]), size: 1, modificationTime: 86_399,
            checksumAlgorithm: .sha256, checksum: String(repeating: "f", count: 64)),
    ]

    static let manifestRanges = [
        WALRange(timeline: 2, start: LSN(0x3_0000_0028), end: LSN(0x3_0000_0100)),
        WALRange(timeline: 1, start: LSN(0x2_0000_0028), end: LSN(0x3_0000_0028)),
    ]

    static func versionArgument(_ name: String) -> ManifestVersion {
        switch name {
        case "v1": .v1
        case "v2": .v2(systemIdentifier: 7_301_234_567_890_123_456)
        case "v2-max": .v2(systemIdentifier: UInt64.max)
        default: .v2(systemIdentifier: 9_300_000_000_000_000_123)  // above Int64.max: a cluster made after 2038
        }
    }

    @Test(arguments: ["v1", "v2", "v2-max", "v2-2038"])
    func builderToManifestRoundTrip(version name: String) throws {
        let version = Self.versionArgument(name)
        let builder = ManifestBuilder(version: version)
        builder.add(Self.manifestRecords)
        let bytes = builder.render(walRanges: Self.manifestRanges)
        let manifest = try BackupManifest.parse(bytes)
        switch version {
        case .v1:
            #expect(manifest.version == 1)
            #expect(manifest.systemIdentifier == nil)
        case .v2(let identifier):
            #expect(manifest.version == 2)
            #expect(manifest.systemIdentifier == identifier)
        }
        #expect(manifest.files == builder.files)
        #expect(Set(manifest.files.map(\.path)) == Set(Self.manifestRecords.map(\.path)))
        #expect(manifest.walRanges == Self.manifestRanges)
        #expect(manifest.rendered() == bytes)
        // An empty manifest too.
        let empty = ManifestBuilder(version: version).render(walRanges: [])
        let parsedEmpty = try BackupManifest.parse(empty)
        #expect(parsedEmpty.files.isEmpty && parsedEmpty.walRanges.isEmpty)
        #expect(parsedEmpty.rendered() == empty)
    }

    @Test func anEditedSizeFailsTheChecksum() throws {
        let builder = ManifestBuilder(version: .v1)
        builder.add(Self.manifestRecords)
        let bytes = builder.render(walRanges: Self.manifestRanges)
        var text = String(decoding: bytes, as: UTF8.self)
        let range = try #require(text.range(of: "\"Size\": 8192,"))
        text.replaceSubrange(range, with: "\"Size\": 8193,")
        let edited = Array(text.utf8)
        #expect(edited.count == bytes.count)
        let recorded = String(decoding: bytes.suffix(67).prefix(64), as: UTF8.self)
        let error = #expect(throws: ManifestError.self) { try BackupManifest.parse(edited) }
        guard case .checksumMismatch(let stored, let computed) = error else {
            Issue.record("expected .checksumMismatch, got \(String(describing: error))")
            return
        }
        #expect(stored == recorded)
        #expect(computed != recorded && computed.count == 64)
        // The checksum itself edited: also a mismatch.
        var badChecksum = bytes
        badChecksum[bytes.count - 4] =
            badChecksum[bytes.count - 4] == UInt8(ascii: "0")
            ? UInt8(ascii: "1")
            : UInt8(ascii: "0")
        let checksumError = #expect(throws: ManifestError.self) { try BackupManifest.parse(badChecksum) }
        if case .checksumMismatch = checksumError {
        } else {
            Issue.record("an edited Manifest-Checksum: \(String(describing: checksumError))")
        }
    }

    @Test func missingChecksumAndGarbageAreInvalid() throws {
        let builder = ManifestBuilder(version: .v1)
        builder.add(Self.manifestRecords)
        let bytes = builder.render(walRanges: Self.manifestRanges)
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.removeLast() == "")
        #expect(lines.removeLast().hasPrefix("\"Manifest-Checksum\""))
        let withoutChecksum = Array((lines.joined(separator: "\n") + "\n}\n").utf8)
        func isInvalid(_ bytes: [UInt8]) -> Bool {
            do {
                _ = try BackupManifest.parse(bytes)
                return false
            } catch {
                if case .invalid = error { return true }
                return false
            }
        }
        #expect(isInvalid(withoutChecksum))
        #expect(isInvalid([]))
        #expect(isInvalid(Array("garbage".utf8)))
        #expect(isInvalid(Self.random(4096)))
        // A correct checksum over bytes that are not a manifest.
        func sealed(_ body: String) -> [UInt8] {
            var sha = SHA256()
            sha.update(Array(body.utf8))
            return Array((body + "\"Manifest-Checksum\": \"\(sha.finalize())\"}\n").utf8)
        }
        #expect(isInvalid(sealed("not json at all,\n")))
        #expect(
            isInvalid(sealed("{ \"PostgreSQL-Backup-Manifest-Version\": 3,\n\"Files\": [\n],\n\"WAL-Ranges\": [\n],\n"))
        )
        #expect(
            isInvalid(sealed("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"Files\": [\n],\n\"WAL-Ranges\": [\n],\n"))
        )
        #expect(
            isInvalid(
                sealed(
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n{ \"Path\": \"x\" }\n],\n\"WAL-Ranges\": [\n],\n"
                )))
        #expect(
            isInvalid(
                sealed(
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n{ \"Encoded-Path\": \"6\", \"Size\": 1, \"Last-Modified\": \"1970-01-01 00:00:00 GMT\" }\n],\n\"WAL-Ranges\": [\n],\n"
                )))
        #expect(
            isInvalid(
                sealed(
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n{ \"Path\": \"x\", \"Size\": 1, \"Last-Modified\": \"1970-01-01 00:00:00 GMT\", \"Checksum-Algorithm\": \"MD5\", \"Checksum\": \"00\" }\n],\n\"WAL-Ranges\": [\n],\n"
                )))
        #expect(
            isInvalid(
                sealed(
                    "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"nonsense\", \"End-LSN\": \"0/1\" }\n],\n"
                )))
        // And the sealed helper itself produces something parse accepts.
        let minimal = try BackupManifest.parse(
            sealed("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n],\n\"WAL-Ranges\": [\n],\n"))
        #expect(minimal.version == 1 && minimal.files.isEmpty)
    }

    @Test(arguments: [
        Int64(0), 1, -1, 59, 86_399, 86_400, 951_782_400, 1_700_000_123, 2_147_483_647, 2_147_483_648,
        4_102_444_800, 253_402_300_799, -2_208_988_800,
    ])
    func timestampsRoundTrip(seconds: Int64) {
        let text = ManifestBuilder.timestamp(seconds)
        #expect(BackupManifest.parseTimestamp(text) == seconds, "\(text)")
    }

    @Test func badTimestampsAreRejected() {
        for text in [
            "", "garbage", "2023-11-14 22:13:20", "2023-11-14 22:13:20 UTC", "2023-11-14T22:13:20 GMT",
            "2023-11-14 22:13:xx GMT",
        ] {
            #expect(BackupManifest.parseTimestamp(text) == nil, "\(text)")
        }
    }

    /// A manifest written by the real pg_basebackup (PostgreSQL 15) parses, verifies, describes
    /// the files it sits next to, and survives a re-render.
    @Test(.integration) func aRealPgBasebackupManifestParses() throws {
        try withCluster(15) { cluster in
            try cluster.psql("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g")
            // Names PostgreSQL must escape: Latin-1 bytes (Encoded-Path) and JSON specials.
            try ArchiveFixtures.file(RawPath(cluster.dataDirectory).appending(Self.oddName), "latin-1")
            try ArchiveFixtures.file(RawPath(cluster.dataDirectory + "/quote\"back\\slash"), "json")
            for algorithm in ["CRC32C", "SHA256", "NONE"] {
                let parent = try TemporaryDirectory.make(prefix: "pgsnap-read-basebackup-", owner: TestCluster.user)
                defer { ArchiveFixtures.remove(parent) }
                let backup = parent + "/backup"
                try Command.output(
                    cluster.installation.tool("pg_basebackup"),
                    [
                        "-h", cluster.socketDirectory, "-p", "\(cluster.port)", "-U", "postgres", "-D", backup,
                        "-Fp", "-X", "none", "-c", "fast", "--manifest-checksums=\(algorithm)",
                    ],
                    asUser: TestCluster.user)
                let bytes = try ArchiveFixtures.bytes(RawPath(backup + "/backup_manifest"))
                let manifest = try BackupManifest.parse(bytes)
                #expect(manifest.version == 1)
                #expect(manifest.systemIdentifier == nil)
                #expect(manifest.walRanges.count == 1)
                #expect(
                    manifest.walRanges.first.map { $0.timeline == 1 && $0.start <= $0.end && $0.start.value > 0 }
                        == true)
                let paths = Set(manifest.files.map(\.path))
                #expect(paths.count == manifest.files.count)
                for required: RawPath in ["PG_VERSION", "global/pg_control", Self.oddName, "quote\"back\\slash"] {
                    #expect(paths.contains(required), "\(algorithm): \(required) not in the manifest")
                }
                // Every record describes the file pg_basebackup wrote next to it.
                for record in manifest.files {
                    let contents = try ArchiveFixtures.bytes(RawPath(backup).appending(record.path))
                    #expect(UInt64(contents.count) == record.size, "\(record.path)")
                    #expect(record.checksumAlgorithm == ChecksumAlgorithm(name: algorithm))
                    var checksum = FileChecksum(record.checksumAlgorithm)
                    contents.withUnsafeBytes { checksum.update($0) }
                    #expect(record.checksum == checksum.finalize(), "\(algorithm) \(record.path)")
                    #expect(record.modificationTime > 1_600_000_000, "\(record.path)")
                }
                // Our own file, which the server never touches, keeps its time to the second.
                var status = stat()
                #expect(RawPath(cluster.dataDirectory).appending(Self.oddName).withCString { lstat($0, &status) } == 0)
                #expect(
                    manifest.files.first { $0.path == Self.oddName }?.modificationTime
                        == Int64(status.st_mtim.tv_sec))
                // Re-rendered (files sorted by path) it parses back to the same content.
                let rendered = manifest.rendered()
                let reparsed = try BackupManifest.parse(rendered)
                #expect(reparsed.files == manifest.files.sorted { $0.path < $1.path })
                #expect(reparsed.walRanges == manifest.walRanges)
                #expect(reparsed.rendered() == rendered)
                // An edited Size in pg_basebackup's own manifest is caught.
                var text = String(decoding: bytes, as: UTF8.self)
                let range = try #require(text.range(of: "\"Path\": \"PG_VERSION\", \"Size\": 3,"))
                text.replaceSubrange(range, with: "\"Path\": \"PG_VERSION\", \"Size\": 4,")
                let edited = Array(text.utf8)
                let error = #expect(throws: ManifestError.self) { try BackupManifest.parse(edited) }
                if case .checksumMismatch = error {
                } else {
                    Issue.record("an edited pg_basebackup manifest: \(String(describing: error))")
                }
            }
        }
    }
}

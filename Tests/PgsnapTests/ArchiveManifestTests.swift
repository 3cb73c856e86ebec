import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// backup_manifest's exact bytes, as backup_manifest.c writes them.
@Suite("Archive backup manifest", .unit)
struct ArchiveManifestTests {
    static func sha(_ text: String) -> String {
        var sha = SHA256()
        sha.update(Array(text.utf8))
        return sha.finalize()
    }

    @Test func version1MatchesPostgresByteForByte() {
        let builder = ManifestBuilder(version: .v1)
        builder.add(
            ManifestFileRecord(
                path: "global/pg_control", size: 8192, modificationTime: 1_700_000_000,
                checksumAlgorithm: .crc32c, checksum: "0a1b2c3d"))
        builder.add(
            ManifestFileRecord(
                path: "PG_VERSION", size: 3, modificationTime: 0, checksumAlgorithm: .crc32c,
                checksum: "839206e3"))
        let rendered = String(
            decoding: builder.render(walRanges: [
                WALRange(
                    timeline: 1, start: LSN(0x2_0000_0028),
                    end: LSN(0x2_0000_0100))
            ]), as: UTF8.self)
        let body = """
            { "PostgreSQL-Backup-Manifest-Version": 1,
            "Files": [
            { "Path": "PG_VERSION", "Size": 3, "Last-Modified": "1970-01-01 00:00:00 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "839206e3" },
            { "Path": "global/pg_control", "Size": 8192, "Last-Modified": "2023-11-14 22:13:20 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "0a1b2c3d" }
            ],
            "WAL-Ranges": [
            { "Timeline": 1, "Start-LSN": "2/28", "End-LSN": "2/100" }
            ],

            """
        #expect(rendered == body + "\"Manifest-Checksum\": \"\(Self.sha(body))\"}\n")
    }

    @Test func version2CarriesTheSystemIdentifier() {
        let builder = ManifestBuilder(
            version: .forServer(majorVersion: 17, systemIdentifier: 7_301_234_567_890_123_456))
        let rendered = String(decoding: builder.render(walRanges: []), as: UTF8.self)
        #expect(
            rendered.hasPrefix(
                """
                { "PostgreSQL-Backup-Manifest-Version": 2,
                "System-Identifier": 7301234567890123456,
                "Files": [
                ],
                "WAL-Ranges": [

                ],

                """))
        #expect(ManifestVersion.forServer(majorVersion: 16, systemIdentifier: 1) == .v1)
    }

    @Test func pathsThatAreNotUTF8AreHexEncoded() {
        let line = String(
            decoding: ManifestBuilder.line(
                ManifestFileRecord(
                    path: RawPath(bytes: [0x66, 0xE9, 0x74, 0xE9]), size: 1, modificationTime: 0,
                    checksumAlgorithm: .none,
                    checksum: "ignored")), as: UTF8.self)
        #expect(
            line == "{ \"Encoded-Path\": \"66e974e9\", \"Size\": 1, \"Last-Modified\": \"1970-01-01 00:00:00 GMT\" }")
    }

    @Test func pathsAreEscapedLikeEscapeJSON() {
        let path = RawPath(bytes: Array("a\"b\\c\td\u{1}é".utf8))
        let escaped = String(decoding: ManifestBuilder.jsonString(path.bytes), as: UTF8.self)
        #expect(escaped == "\"a\\\"b\\\\c\\td\\u0001é\"")
    }

    @Test func lsnsPrintAndParseLikePostgres() {
        #expect(LSN(0x0000_0001_0000_00A8).description == "1/A8")
        #expect(LSN(0).description == "0/0")
        #expect(LSN(parsing: "16/B374D848")?.value == 0x16_B374_D848)
        for bad in ["nonsense", "1//2", "+1/0", "1/", "/1", "123456789/0", "1/2/3", "g/0"] {
            #expect(LSN(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func concurrentAddsAllArriveSorted() {
        let builder = ManifestBuilder(version: .v1)
        let jobs: [@Sendable () -> Int] = (0..<4).map { volume in
            {
                for index in 0..<500 {
                    builder.add(
                        ManifestFileRecord(
                            path: RawPath("v\(volume)/\(index)"), size: 0, modificationTime: 0,
                            checksumAlgorithm: .none, checksum: nil))
                }
                return volume
            }
        }
        #expect(ArchiveThreads.run(jobs) == [0, 1, 2, 3])
        let files = builder.files
        #expect(files.count == 2000)
        #expect(files.map(\.path) == files.map(\.path).sorted())
    }

    @Test func writtenManifestIsPrivateAndNeverOverwrites() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-manifest-")
        defer { ArchiveFixtures.remove(work) }
        let builder = ManifestBuilder(version: .v1)
        try builder.write(walRanges: [], to: work + "/backup_manifest")
        let attributes = try FileManager.default.attributesOfItem(atPath: work + "/backup_manifest")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try ArchiveFixtures.bytes(RawPath(work + "/backup_manifest")) == builder.render(walRanges: []))
        let error = #expect(throws: ArchiveError.self) {
            try builder.write(walRanges: [], to: work + "/backup_manifest")
        }
        #expect(error?.code == .writeFailed)
    }
}

import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// The real proof: archives of a real PostgreSQL 15 cluster, extracted with tar, pass
/// PostgreSQL's own pg_verifybackup against our backup_manifest, and our checksums and manifest
/// lines equal those of a real pg_basebackup.
@Suite("Archive against PostgreSQL", .integration)
struct ArchivePostgresTests {
    /// The checkpoint facts pg_controldata reports for a stopped cluster.
    struct ControlData {
        var redo: LSN
        var timeline: UInt32
        var systemIdentifier: UInt64
        var catalogVersion: String

        init(_ dataDirectory: String, installation: PostgresInstallation) throws {
            let output = try Command.output(
                installation.tool("pg_controldata"), ["-D", dataDirectory],
                environment: ["LC_ALL": "C"])
            func value(_ label: String) throws -> String {
                let line = try #require(output.split(separator: "\n").first { $0.hasPrefix(label + ":") }, "\(label)")
                return line.dropFirst(label.count + 1).trimmingCharacters(in: .whitespaces)
            }
            redo = try #require(LSN(parsing: try value("Latest checkpoint's REDO location")))
            timeline = try #require(UInt32(try value("Latest checkpoint's TimeLineID")))
            systemIdentifier = try #require(UInt64(try value("Database system identifier")))
            catalogVersion = try value("Catalog version number")
            #expect(try value("Database cluster state") == "shut down")
        }
    }

    /// Runs pg_basebackup (plain format) as postgres and returns its manifest's file lines by path.
    static func basebackupManifest(_ cluster: TestCluster, checksums: String, tablespace: String) throws
        -> [String: String]
    {
        let parent = try TemporaryDirectory.make(prefix: "pgsnap-basebackup-", owner: TestCluster.user)
        defer { ArchiveFixtures.remove(parent) }
        try Command.output(
            cluster.installation.tool("pg_basebackup"),
            [
                "-h", cluster.socketDirectory, "-p", "\(cluster.port)", "-U", "postgres", "-D",
                parent + "/backup", "-Fp", "-X", "none", "-c", "fast", "--manifest-checksums=\(checksums)",
                "-T", "\(tablespace)=\(parent)/tablespace",
            ],
            asUser: TestCluster.user)
        let manifest = try String(contentsOfFile: parent + "/backup/backup_manifest", encoding: .utf8)
        var lines: [String: String] = [:]
        for line in manifest.split(separator: "\n") where line.hasPrefix("{ \"Path\": \"") {
            let path = line.dropFirst("{ \"Path\": \"".count).prefix { $0 != "\"" }
            lines[String(path)] = String(line.hasSuffix(",") ? line.dropLast() : line[...])
        }
        return lines
    }

    @Test func pgVerifybackupAcceptsOurArchivesOfAStoppedCluster() throws {
        try withCluster(15) { cluster in
            let location = try cluster.createTablespace("archive_ts")
            try cluster.psql("CREATE TABLE plain AS SELECT g, md5(g::text) AS t FROM generate_series(1, 20000) g")
            try cluster.psql("CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 5000) g")
            try cluster.psql(
                "CREATE TABLE spaced TABLESPACE archive_ts AS SELECT g, repeat('x', 100) AS t FROM generate_series(1, 10000) g"
            )
            try cluster.psql(
                "CREATE UNLOGGED TABLE spaced_scratch TABLESPACE archive_ts AS SELECT g FROM generate_series(1, 1000) g"
            )
            let spaced = try cluster.psql("SELECT pg_relation_filepath('spaced')")
            let scratch = try cluster.psql("SELECT pg_relation_filepath('scratch')")
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'archive_ts'")

            // Reference manifests from the real pg_basebackup while the server runs.
            let crcLines = try Self.basebackupManifest(cluster, checksums: "CRC32C", tablespace: location)
            let shaLines = try Self.basebackupManifest(cluster, checksums: "SHA256", tablespace: location)

            try cluster.stop()
            let control = try ControlData(cluster.dataDirectory, installation: cluster.installation)
            let versionDirectory = RawPath("PG_15_" + control.catalogVersion)
            let walker = DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15))
            let base = try walker.dataDirectory(at: RawPath(cluster.dataDirectory))
            let tablespace = try walker.tablespace(at: RawPath(location), versionDirectory: versionDirectory)
            #expect(base.skippedSpecialFiles.isEmpty)
            #expect(tablespace.entries.count > 3)

            let work = try TemporaryDirectory.make(prefix: "pgsnap-pgarchive-")
            defer { ArchiveFixtures.remove(work) }
            let progress = ArchiveProgress()
            let baseArchiver = VolumeArchiver(
                outputPath: work + "/base.tar.zst", compressionLevel: 3, workers: 2,
                progress: progress)
            let tablespaceArchiver = VolumeArchiver(
                outputPath: work + "/\(oid).tar.zst", compressionLevel: 3,
                workers: 2, manifestPathPrefix: RawPath("pg_tblspc/\(oid)"),
                progress: progress)
            let baseEntries = base.entries
            let tablespaceEntries = tablespace.entries
            let jobs: [@Sendable () -> Result<VolumeArchiveResult, ArchiveError>] = [
                { Result { () throws(ArchiveError) in try baseArchiver.archive(baseEntries) } },
                { Result { () throws(ArchiveError) in try tablespaceArchiver.archive(tablespaceEntries) } },
            ]
            let results = ArchiveThreads.run(jobs)
            let baseResult = try results[0].get()
            let tablespaceResult = try results[1].get()
            #expect(progress.current.files == baseResult.files + tablespaceResult.files)
            #expect(progress.current.bytesRead == baseResult.bytesRead + tablespaceResult.bytesRead)

            let builder = ManifestBuilder(
                version: .forServer(majorVersion: 15, systemIdentifier: control.systemIdentifier))
            builder.add(baseResult.manifestRecords)
            builder.add(tablespaceResult.manifestRecords)
            let manifest = work + "/backup_manifest"
            try builder.write(
                walRanges: [WALRange(timeline: control.timeline, start: control.redo, end: control.redo)],
                to: manifest)

            // Same file, same bytes: our manifest line must equal pg_basebackup's exactly.
            let ours = String(decoding: builder.render(walRanges: []), as: UTF8.self)
            for path in ["PG_VERSION", "pg_hba.conf", "pg_ident.conf", "postgresql.conf"] {
                let line = try #require(crcLines[path], "pg_basebackup's manifest lacks \(path)")
                #expect(ours.contains(line + "\n") || ours.contains(line + ",\n"), "\(line)")
                let record = try #require(builder.files.first { $0.path == RawPath(path) })
                var sha = FileChecksum(.sha256)
                try ArchiveFixtures.bytes(RawPath(cluster.dataDirectory + "/" + path)).withUnsafeBytes {
                    sha.update($0)
                }
                let shaLine = try #require(shaLines[path])
                #expect(shaLine.contains("\"Checksum\": \"\(sha.finalize() ?? "")\""), "\(shaLine)")
                #expect(record.checksum.map { line.contains($0) } == true)
            }

            // Restore the way an administrator would: tar, then point the tablespace link home.
            let restored = work + "/restored"
            let restoredTablespace = work + "/restored-tablespace"
            try ArchiveFixtures.directory(RawPath(restored), mode: 0o700)
            try ArchiveFixtures.directory(RawPath(restoredTablespace), mode: 0o700)
            try Command.output("/usr/bin/tar", ["-x", "--zstd", "-f", work + "/base.tar.zst", "-C", restored])
            try Command.output(
                "/usr/bin/tar", ["-x", "--zstd", "-f", work + "/\(oid).tar.zst", "-C", restoredTablespace])
            let link = restored + "/pg_tblspc/" + oid
            #expect(try ArchiveFixtures.observe(RawPath(link))?.linkTarget == Array(location.utf8))
            #expect(unlink(link) == 0)
            try ArchiveFixtures.symlink(RawPath(link), to: RawPath(restoredTablespace))
            // Unlogged tables come back as their init fork only; WAL is not in base.tar.
            #expect(try ArchiveFixtures.observe(RawPath(restored + "/" + scratch + "_init")) != nil)
            #expect(try ArchiveFixtures.observe(RawPath(restored + "/" + scratch)) == nil)
            #expect(try ArchiveFixtures.observe(RawPath(cluster.dataDirectory + "/" + scratch)) != nil)
            #expect(try ArchiveFixtures.entries(under: restored + "/pg_wal").map(\.archivePath) == ["archive_status"])

            let verify = cluster.installation.tool("pg_verifybackup")
            let accepted = Command.run(verify, ["-n", "-m", manifest, restored])
            #expect(accepted.status == 0, "\(accepted.output)")
            #expect(accepted.output.contains("backup successfully verified"), "\(accepted.output)")

            // The check can fail: one flipped byte in a tablespace file is caught.
            let victim = RawPath(
                restoredTablespace + "/"
                    + String(
                        spaced.split(separator: "/").dropFirst(2)
                            .joined(separator: "/")))
            var bytes = try ArchiveFixtures.bytes(victim)
            bytes[bytes.count / 2] ^= 0x01
            try ArchiveFixtures.file(victim, bytes, mode: 0o600)
            let rejected = Command.run(verify, ["-n", "-m", manifest, restored])
            #expect(rejected.status != 0)
            #expect(rejected.output.contains("checksum mismatch"), "\(rejected.output)")
        }
    }
}

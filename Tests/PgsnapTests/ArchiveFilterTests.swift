import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// DirectoryWalker with pg_basebackup's rules on fake data directories that hold one of each
/// thing pg_basebackup leaves out, next to things it keeps.
@Suite("Archive base backup filter", .unit)
struct ArchiveFilterTests {
    /// A data directory with every excluded item, plus a pg_wal symlink to another "volume".
    static func makeDataDirectory(_ root: String, walVolume: String) throws {
        func at(_ relative: String) -> RawPath { RawPath(root).appending(RawPath(relative)) }
        try ArchiveFixtures.directory(RawPath(root), mode: 0o700)
        for name in ["PG_VERSION", "postgresql.conf", "postgresql.auto.conf", "pg_hba.conf"] {
            try ArchiveFixtures.file(at(name), "kept \(name)\n", mode: 0o600)
        }
        for name in [
            "postmaster.pid", "postmaster.opts", "postgresql.auto.conf.tmp", "current_logfiles.tmp",
            "backup_label", "tablespace_map", "backup_manifest", "backup_label.old", "pgsql_tmp_top",
        ] {
            try ArchiveFixtures.file(at(name), "excluded \(name)\n", mode: 0o600)
        }
        try ArchiveFixtures.directory(at("global"), mode: 0o700)
        for name in ["pg_control", "1262", "pg_filenode.map"] { try ArchiveFixtures.file(at("global/" + name), name) }
        for name in ["pg_internal.init", "pg_internal.init.12345"] {
            try ArchiveFixtures.file(at("global/" + name), name)
        }

        try ArchiveFixtures.directory(at("base"), mode: 0o700)
        try ArchiveFixtures.directory(at("base/5"), mode: 0o700)
        // 16384 is unlogged (has an init fork); 16390 is an ordinary table.
        for name in [
            "16384", "16384.1", "16384_fsm", "16384_vm", "16384_init", "16390", "16390.1", "16390_fsm",
            "16390_vm", "PG_VERSION", "pg_filenode.map", "pg_internal.init",
        ] {
            try ArchiveFixtures.file(at("base/5/" + name), ArchiveFixtures.mixedData(100))
        }
        // Temporary relations, and names that only look a bit like them.
        for name in ["t3_16400", "t3_16400_fsm", "t12_99.1", "t3_16401_init"] {
            try ArchiveFixtures.file(at("base/5/" + name), "temp")
        }
        for name in ["t3_", "tx_1", "16390_initx", "16390."] { try ArchiveFixtures.file(at("base/5/" + name), "odd") }
        try ArchiveFixtures.directory(at("base/pgsql_tmp"), mode: 0o700)
        try ArchiveFixtures.file(at("base/pgsql_tmp/pgsql_tmp123.0"), "spill")
        try ArchiveFixtures.directory(at("base/5/pgsql_tmp"), mode: 0o700)

        for directory in [
            "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots",
            "pg_subtrans",
        ] {
            try ArchiveFixtures.directory(at(directory), mode: 0o700)
            try ArchiveFixtures.file(at(directory + "/0000"), "contents of \(directory)")
        }
        try ArchiveFixtures.directory(at("pg_replslot/slot1"), mode: 0o700)
        try ArchiveFixtures.file(at("pg_replslot/slot1/state"), "slot")
        try ArchiveFixtures.directory(at("pg_xact"), mode: 0o700)
        try ArchiveFixtures.file(at("pg_xact/0000"), ArchiveFixtures.mixedData(8192))

        // pg_wal lives on another volume; its segments must never be archived.
        try ArchiveFixtures.directory(RawPath(walVolume), mode: 0o700)
        try ArchiveFixtures.directory(RawPath(walVolume + "/archive_status"), mode: 0o700)
        try ArchiveFixtures.file(RawPath(walVolume + "/000000010000000000000001"), ArchiveFixtures.mixedData(1000))
        try ArchiveFixtures.file(RawPath(walVolume + "/archive_status/000000010000000000000001.done"), "")
        try ArchiveFixtures.symlink(at("pg_wal"), to: RawPath(walVolume))

        try ArchiveFixtures.directory(at("pg_tblspc"), mode: 0o700)
        try ArchiveFixtures.symlink(at("pg_tblspc/16500"), to: "/srv/tablespaces/fast")

        // Things pg_basebackup skips as "special files": a FIFO and a symlink outside pg_tblspc.
        try #require(mkfifo(root + "/a_fifo", 0o600) == 0)
        try ArchiveFixtures.symlink(at("postgresql.conf.link"), to: "/etc/postgresql/postgresql.conf")
    }

    static let expectedDataDirectory: [String] = [
        "PG_VERSION", "base", "base/5", "base/5/16384_init", "base/5/16390", "base/5/16390.1", "base/5/16390_fsm",
        "base/5/16390_vm", "base/5/16390.", "base/5/16390_initx", "base/5/PG_VERSION", "base/5/pg_filenode.map",
        "base/5/t3_", "base/5/tx_1", "global", "global/1262", "global/pg_filenode.map", "pg_dynshmem", "pg_hba.conf",
        "pg_notify", "pg_replslot", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans", "pg_tblspc",
        "pg_tblspc/16500", "pg_wal", "pg_wal/archive_status", "pg_xact", "pg_xact/0000", "postgresql.auto.conf",
        "postgresql.conf", "global/pg_control",
    ]

    @Test func dataDirectoryKeepsOnlyWhatPgBasebackupKeeps() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-filter-")
        defer { ArchiveFixtures.remove(work) }
        try Self.makeDataDirectory(work + "/data", walVolume: work + "/wal")
        let listing = try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15))
            .dataDirectory(at: RawPath(work + "/data"))
        let paths = listing.entries.map(\.archivePath.description)
        #expect(Set(paths) == Set(Self.expectedDataDirectory))
        #expect(paths.count == Self.expectedDataDirectory.count)
        // Sorted bytewise, parents first, pg_control last.
        #expect(paths.last == "global/pg_control")
        #expect(
            Array(paths.dropLast())
                == Array(paths.dropLast()).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(
            Set(listing.skippedSpecialFiles.map(\.description))
                == [work + "/data/a_fifo", work + "/data/postgresql.conf.link"])

        let byPath = Dictionary(uniqueKeysWithValues: listing.entries.map { ($0.archivePath.description, $0) })
        // Source and archive path are separate: files are read from the root given.
        #expect(byPath["base/5/16390"]?.sourcePath.description == work + "/data/base/5/16390")
        #expect(byPath["base/5/16390"]?.size == 100)
        // pg_wal: a directory (not the symlink), empty but for archive_status, mode 0700.
        let wal = try #require(byPath["pg_wal"])
        #expect(wal.kind == .directory && wal.header.mode == 0o700)
        #expect(byPath["pg_wal/archive_status"]?.kind == .directory)
        // Emptied directories are directories with their own mode.
        #expect(byPath["pg_replslot"]?.kind == .directory)
        let tablespace = try #require(byPath["pg_tblspc/16500"])
        #expect(tablespace.kind == .symlink)
        #expect(tablespace.header.linkTarget == "/srv/tablespaces/fast")
    }

    @Test func postgres17AlsoCreatesWALSummariesAndSkipsFinderFiles() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-filter-")
        defer { ArchiveFixtures.remove(work) }
        try Self.makeDataDirectory(work + "/data", walVolume: work + "/wal")
        try ArchiveFixtures.file(RawPath(work + "/data/.DS_Store"), "finder")
        let walker = DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 17))
        let paths = Set(try walker.dataDirectory(at: RawPath(work + "/data")).entries.map(\.archivePath.description))
        #expect(paths == Set(Self.expectedDataDirectory + ["pg_wal/summaries"]))
        let old = DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 16))
        #expect(try old.dataDirectory(at: RawPath(work + "/data")).entries.contains { $0.archivePath == ".DS_Store" })
    }

    @Test func tablespaceLinksAndNestedTablespacesCanBeLeftOut() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-filter-")
        defer { ArchiveFixtures.remove(work) }
        try Self.makeDataDirectory(work + "/data", walVolume: work + "/wal")
        try ArchiveFixtures.directory(RawPath(work + "/data/inside"), mode: 0o700)
        try ArchiveFixtures.file(RawPath(work + "/data/inside/file"), "tablespace inside PGDATA")
        let listing = try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15))
            .dataDirectory(at: RawPath(work + "/data"), skipping: ["inside"], includeTablespaceLinks: false)
        let paths = Set(listing.entries.map(\.archivePath.description))
        #expect(paths.contains("pg_tblspc") && !paths.contains("pg_tblspc/16500"))
        #expect(paths.contains("inside") && !paths.contains("inside/file"))
    }

    @Test func tablespaceKeepsOnlyThisServersVersionDirectory() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-filter-")
        defer { ArchiveFixtures.remove(work) }
        func at(_ relative: String) -> RawPath { RawPath(work).appending(RawPath(relative)) }
        let version = "PG_15_202209061"
        try ArchiveFixtures.directory(at(version), mode: 0o700)
        try ArchiveFixtures.directory(at("PG_14_202107181"), mode: 0o700)
        try ArchiveFixtures.file(at("PG_14_202107181/leftover"), "from an old cluster")
        try ArchiveFixtures.directory(at(version + "/16384"), mode: 0o700)
        for name in ["20000", "20000_init", "20000_vm", "20001", "20001.2", "t5_20002", "pg_internal.init"] {
            try ArchiveFixtures.file(at(version + "/16384/" + name), name)
        }
        try ArchiveFixtures.directory(at(version + "/pgsql_tmp"), mode: 0o700)
        try ArchiveFixtures.file(at(version + "/pgsql_tmp/pgsql_tmp1.0"), "spill")

        let listing = try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15))
            .tablespace(at: RawPath(work), versionDirectory: RawPath(version))
        #expect(
            listing.entries.map(\.archivePath.description) == [
                version, version + "/16384", version + "/16384/20000_init", version + "/16384/20001",
                version + "/16384/20001.2",
            ])
        #expect(listing.entries.first?.sourcePath.description == work + "/" + version)
        // A tablespace without this version's directory is empty, not an error.
        #expect(
            try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 16))
                .tablespace(at: RawPath(work), versionDirectory: "PG_16_202307071").entries.isEmpty)
    }

    @Test func aMissingDataDirectoryIsAReadError() {
        let error = #expect(throws: ArchiveError.self) {
            try DirectoryWalker(filter: BaseBackupFilter(serverMajorVersion: 15)).dataDirectory(
                at: "/nonexistent/pgdata")
        }
        #expect(error?.code == .readFailed)
    }

    @Test(arguments: [
        ("16384", true, RelationFileName.Fork.main), ("16384_init", true, .initialization),
        ("16384_fsm.2", true, .freeSpaceMap), ("16384_vm", true, .visibilityMap), ("16384.12", true, .main),
        ("16384.", false, .main), ("16384_initx", false, .main), ("12345678901", false, .main),
        ("t3_16384", false, .main), ("pg_filenode.map", false, .main), ("_init", false, .main),
    ])
    func relationNamesParseLikePostgres(name: String, parses: Bool, fork: RelationFileName.Fork) {
        let parsed = RelationFileName.parseNonTemporary(Array(name.utf8))
        #expect((parsed != nil) == parses)
        if let parsed { #expect(parsed.fork == fork) }
    }

    @Test(arguments: [
        ("t3_16384", true), ("t3_16384_fsm", true), ("t12_99.1", true), ("t3_16384_init.3", true),
        ("t3_", false), ("t_1", false), ("tx_1", false), ("t3_16384_foo", false), ("t3_16384.", false),
        ("16384", false),
    ])
    func temporaryRelationNamesParseLikePostgres(name: String, temporary: Bool) {
        #expect(RelationFileName.looksTemporary(Array(name.utf8)) == temporary)
    }
}

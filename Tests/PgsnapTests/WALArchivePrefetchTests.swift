import Configuration
import Foundation
import PostgresFormat
import Testing

@testable import WALArchive

/// archive-get's prefetch (issue 11, item 2): the next `archive_get_prefetch` segments of the
/// requested one's timeline land in `pg_wal/.pgsnap-spool`, later requests are served from there
/// only after their checksum matched the archive again, stale entries go, the end of the archive
/// empties the spool. Unit tests on synthetic segments; a real recovery on every PostgreSQL.
@Suite("WAL archive-get prefetch", .serialized)
struct WALArchivePrefetchTests {
    typealias Unit = WALArchiveUnitTests

    /// Segments 3 to 10 archived, a scratch `pg_wal` to restore into.
    static func withSegments(_ body: (WALArchive, String, [String]) throws -> Void) throws {
        try Unit.withArchive { archive, scratch in
            let names = (3...10).map { WALFileName(timeline: 1, segment: UInt64($0)).name(segmentSize: 1 << 20) }
            for name in names {
                try Unit.write(Unit.segment(name), scratch + "/" + name)
                try archive.push(scratch + "/" + name)
            }
            let walDirectory = scratch + "/pg_wal"
            try FileManager.default.createDirectory(atPath: walDirectory, withIntermediateDirectories: false)
            try body(archive, walDirectory, names)
        }
    }

    static func spooled(_ walDirectory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: walDirectory + "/.pgsnap-spool")) ?? []).sorted()
    }

    static func restored(_ walDirectory: String) -> Data? {
        FileManager.default.contents(atPath: walDirectory + "/RECOVERYXLOG")
    }

    /// The first request fetches its four followers; the spool serves them, refilling when
    /// fewer than two are ahead; past the archive's end nothing is fetched and no error comes;
    /// the request the archive cannot answer leaves no spool behind.
    @Test func theSpoolServesTheNextSegmentsAndGoesAtTheEnd() throws {
        try Self.withSegments { archive, walDirectory, names in
            let destination = walDirectory + "/RECOVERYXLOG"
            var served: [Bool] = []
            var prefetched: [Int] = []
            for name in names {
                let result = try archive.get(name, to: destination, prefetch: 4)
                #expect(Self.restored(walDirectory) == Data(Unit.segment(name)), "\(name) restored wrong")
                #expect(result.discarded.isEmpty, "\(result.discarded)")
                served.append(result.servedFromSpool)
                prefetched.append(result.prefetched)
                if name == names[0] { #expect(Self.spooled(walDirectory) == Array(names[1...4])) }
            }
            #expect(served == [false] + Array(repeating: true, count: 7), "\(served)")
            // 3 fetches 4-7; at 6 only 7 is ahead: 8-10 (11 is not archived); then nothing is left to fetch.
            #expect(prefetched == [4, 0, 0, 3, 0, 0, 0, 0], "\(prefetched)")
            let next = WALFileName(timeline: 1, segment: 11).name(segmentSize: 1 << 20)
            #expect { try archive.get(next, to: destination, prefetch: 4) } throws: {
                ($0 as? WALArchiveError)?.code == .notFound
            }
            #expect(!FileManager.default.fileExists(atPath: walDirectory + "/.pgsnap-spool"), "spool left behind")
            #expect(try FileManager.default.contentsOfDirectory(atPath: walDirectory) == ["RECOVERYXLOG"])
        }
    }

    /// A flipped byte, a cut entry, and other content of the right size are never served: each
    /// is removed, the segment comes from the archive, and the result names the entry.
    @Test(arguments: ["flipped", "truncated", "other"])
    func aDamagedSpoolEntryIsFetchedFromTheArchive(_ damage: String) throws {
        try Self.withSegments { archive, walDirectory, names in
            let destination = walDirectory + "/RECOVERYXLOG"
            _ = try archive.get(names[0], to: destination, prefetch: 4)
            let entry = walDirectory + "/.pgsnap-spool/" + names[1]
            var bytes = try #require(FileManager.default.contents(atPath: entry))
            switch damage {
            case "flipped": bytes[5000] ^= 0x01
            case "truncated": bytes = bytes.prefix(bytes.count / 2)
            default: bytes = Data(Unit.segment(names[1], fill: 9))
            }
            try bytes.write(to: URL(fileURLWithPath: entry))
            let result = try archive.get(names[1], to: destination, prefetch: 4)
            #expect(!result.servedFromSpool)
            #expect(result.discarded.count == 1 && result.discarded[0].contains(names[1]), "\(result.discarded)")
            #expect(Self.restored(walDirectory) == Data(Unit.segment(names[1])), "the archived bytes, not the spool's")
            #expect(!Self.spooled(walDirectory).contains(names[1]))
        }
    }

    /// Entries the next requests cannot use go: older segments, other timelines, unrelated
    /// names left alone by nothing; a temporary nobody holds locked (a killed archive-get's)
    /// goes, one still locked (an archive-get at work) stays.
    @Test func staleEntriesAndAbandonedTemporariesGo() throws {
        try Self.withSegments { archive, walDirectory, names in
            let spool = walDirectory + "/.pgsnap-spool"
            try FileManager.default.createDirectory(
                atPath: spool, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let older = WALFileName(timeline: 1, segment: 2).name(segmentSize: 1 << 20)
            let otherTimeline = WALFileName(timeline: 2, segment: 5).name(segmentSize: 1 << 20)
            let far = WALFileName(timeline: 1, segment: 40).name(segmentSize: 1 << 20)
            for name in [older, otherTimeline, far, "." + names[2] + ".999999.tmp", "." + names[3] + ".999998.tmp"] {
                try Unit.write([1, 2, 3], spool + "/" + name)
            }
            let held = open(spool + "/." + names[3] + ".999998.tmp", O_RDONLY)
            defer { close(held) }
            #expect(flock(held, LOCK_EX) == 0)
            let result = try archive.get(names[0], to: walDirectory + "/RECOVERYXLOG", prefetch: 4)
            #expect(result.prefetched == 4)
            #expect(Self.spooled(walDirectory) == ["." + names[3] + ".999998.tmp"] + Array(names[1...4]))
        }
    }

    /// prefetch 0 creates no spool; a spool an earlier call left is still used (checked) and
    /// removed. Outside a pg_wal (an archive-get by hand) nothing is spooled.
    @Test func prefetchZeroAndOtherDirectoriesSpoolNothing() throws {
        try Self.withSegments { archive, walDirectory, names in
            let destination = walDirectory + "/RECOVERYXLOG"
            let off = try archive.get(names[0], to: destination, prefetch: 0)
            #expect(off == WALGetResult() && !FileManager.default.fileExists(atPath: walDirectory + "/.pgsnap-spool"))
            _ = try archive.get(names[0], to: destination, prefetch: 2)
            #expect(Self.spooled(walDirectory) == Array(names[1...2]))
            let leftover = try archive.get(names[1], to: destination, prefetch: 0)
            #expect(leftover.servedFromSpool && leftover.prefetched == 0)
            #expect(!FileManager.default.fileExists(atPath: walDirectory + "/.pgsnap-spool"), "used up and removed")

            let elsewhere = (walDirectory as NSString).deletingLastPathComponent + "/by-hand"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: false)
            let byHand = try archive.get(names[2], to: elsewhere + "/out", prefetch: 4)
            #expect(byHand == WALGetResult())
            #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere) == ["out"])
        }
    }

    /// History files are served, never prefetched from, and leave the spool alone.
    @Test func aHistoryRequestDoesNotPrefetch() throws {
        try Self.withSegments { archive, walDirectory, names in
            let scratch = (walDirectory as NSString).deletingLastPathComponent
            try Unit.write(Array("1\t0/3000000\tno recovery target specified\n".utf8), scratch + "/00000002.history")
            try archive.push(scratch + "/00000002.history")
            _ = try archive.get(names[0], to: walDirectory + "/RECOVERYXLOG", prefetch: 2)
            let history = try archive.get("00000002.history", to: walDirectory + "/RECOVERYHISTORY", prefetch: 4)
            #expect(history == WALGetResult())
            #expect(Self.spooled(walDirectory) == Array(names[1...2]))
        }
    }

    /// A real recovery to the end of the archive with prefetch on: restore_command (through a
    /// wrapper that damages one spooled segment between two calls, as a failing disk would)
    /// serves most segments from the spool, refetches the damaged one, and the promoted server
    /// has every row and no spool in its pg_wal. With `archive_get_prefetch = 0` nothing is spooled.
    /// On one PostgreSQL: restore_command's contract is the same in every release, and the
    /// recovery on all three cost CI 265 s (WALArchiveRestoreTests covers archive-get on each).
    @Test(.integration, arguments: [15])
    func recoveryReplaysFromTheSpool(_ major: Int) throws {
        let fixture = try WALArchiveFixture()
        defer { fixture.remove() }
        try withCluster(major, settings: ["archive_mode = on", fixture.archiveCommand()]) { cluster in
            try fixture.bind(to: cluster)
            try cluster.psql("CREATE TABLE t (round int, filler text)")
            _ = try WALArchiveRestoreTests.backup(cluster, fixture)
            for round in 1...12 {
                try cluster.psql(
                    "INSERT INTO t SELECT \(round), repeat('x', 100) FROM generate_series(1, 100); SELECT pg_switch_wal()"
                )
            }
            // On its own: the last round's commit record follows the switch of its own statement.
            try cluster.psql("SELECT pg_switch_wal()")
            try fixture.waitUntilArchived(cluster)
            let base = "target = \(fixture.target)\nlog_level = debug\n"
            try (base + "archive_get_prefetch = 4\n").write(toFile: fixture.config, atomically: false, encoding: .utf8)
            try Self.withRecovery(fixture, cluster, damaging: 2) { restored, log in
                let hits = log.components(separatedBy: "served from the spool").count - 1
                let misses = log.components(separatedBy: "fetched from the archive\n").count - 1
                #expect(hits >= 8 && misses >= 1, "\(hits) served from the spool, \(misses) not: \(log.suffix(3000))")
                #expect(log.contains("does not match the archived file's SHA-256"), "\(log.suffix(3000))")
                #expect(log.contains("segments ahead into"), "\(log.suffix(3000))")
            }
            try (base + "archive_get_prefetch = 0\n").write(toFile: fixture.config, atomically: false, encoding: .utf8)
            try Self.withRecovery(fixture, cluster, damaging: nil) { _, log in
                #expect(
                    !log.contains("served from the spool") && !log.contains("segments ahead"), "\(log.suffix(3000))")
                #expect(log.contains("fetched from the archive"), "\(log.suffix(3000))")
            }
        }
    }

    /// Restores `latest`, replays the archive to its end through a wrapper around
    /// restore_command that, once, flips a byte of the spooled segment `damaging` segments
    /// after the backup's first, then checks the rows and that pg_wal keeps nothing of pgsnap's.
    static func withRecovery(
        _ fixture: WALArchiveFixture, _ cluster: TestCluster, damaging offset: UInt64?,
        _ body: (RestoredCluster, String) throws -> Void
    ) throws {
        try WALArchiveRestoreTests.withRestore(fixture, cluster, []) { restored, _ in
            let label = try String(contentsOfFile: restored.dataDirectory + "/backup_label", encoding: .utf8)
            let first = try #require(label.firstMatch(of: /\(file ([0-9A-F]{24})\)/)?.1, "\(label)")
            let start = try #require(WALFileName(parsing: first, segmentSize: 16 << 20))
            let victim = offset.map {
                WALFileName(timeline: start.timeline, segment: start.segment + $0).name(segmentSize: 16 << 20)
            }
            let wrapper = restored.root + "/restore-command.sh"
            let marker = restored.root + "/damaged"
            try """
            #!/bin/sh
            \(Pgsnap.path) archive-get "$1" "$2" --config \(fixture.config)
            status=$?
            entry=pg_wal/.pgsnap-spool/\(victim ?? "none")
            if [ -f "$entry" ] && [ ! -e \(marker) ]; then
                printf Z | dd of="$entry" bs=1 seek=5000 conv=notrunc status=none && touch \(marker)
            fi
            exit $status
            """.write(toFile: wrapper, atomically: false, encoding: .utf8)
            chmod(wrapper, 0o755)
            let conf = restored.dataDirectory + "/postgresql.auto.conf"
            let settings = try String(contentsOfFile: conf, encoding: .utf8)
            try #require(settings.contains("archive-get %f %p"), "\(settings)")
            try (settings + "restore_command = '\(wrapper) %f %p'\n").write(
                toFile: conf, atomically: false, encoding: .utf8)
            try restored.start(settings: ["archive_mode=off"])
            #expect(try restored.waitUntilOutOfRecovery(seconds: 120), "still in recovery: \(restored.serverLog)")
            let rounds = try restored.psql("SELECT count(DISTINCT round) FROM t")
            #expect(rounds == "12", "\(rounds) rounds replayed: \(restored.serverLog.suffix(3000))")
            if offset != nil {
                #expect(FileManager.default.fileExists(atPath: marker), "the wrapper never saw \(victim ?? "")")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: restored.dataDirectory + "/pg_wal")
                .filter { $0.hasPrefix(".") }
            #expect(left.isEmpty, "left in pg_wal: \(left)")
            try body(restored, restored.serverLog)
        }
    }

    @Test func theSettingTakesZeroToThirtyTwo() throws {
        #expect(
            try Settings.resolve(file: nil, overrides: [:]).archiveGetPrefetch == 0,
            "off by default: measured slower (docs/benchmark.md)")
        #expect(try Settings.resolve(file: nil, overrides: [.archiveGetPrefetch: "0"]).archiveGetPrefetch == 0)
        #expect(try Settings.resolve(file: nil, overrides: [.archiveGetPrefetch: "32"]).archiveGetPrefetch == 32)
        for bad in ["33", "-1", "four", ""] {
            #expect(throws: ConfigurationError.self) {
                try Settings.resolve(file: nil, overrides: [.archiveGetPrefetch: bad])
            }
        }
    }
}

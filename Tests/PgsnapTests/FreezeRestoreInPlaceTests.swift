import Foundation
import Testing

/// The storage-hook pattern end to end with real snapshots (issue 10, item 2): PGDATA and a
/// tablespace on btrfs subvolumes of a loop device, pgbench writing, `pgsnap freeze`, one
/// read-only `btrfs subvolume snapshot` per subvolume a few seconds apart (as an array takes
/// them), `pgsnap thaw`; then writable clones elsewhere, `pgsnap restore --in-place`, and the
/// clone starts, recovers to a consistent state, keeps pgbench's invariants, and passes pg_amcheck.
@Suite("freeze, storage snapshot, restore --in-place", .serialized, .integration)
struct FreezeRestoreInPlaceTests {
    @Test(arguments: PostgresInstallation.required)
    func aBtrfsSnapshotTakenDuringAFreezeRestoresInPlace(major: Int) throws {
        try withCluster(major) { cluster in
            let volume = try BtrfsVolume()
            defer { volume.close() }
            // The cluster's data directory moves onto subvolume `data`; `ts` holds its tablespace.
            try cluster.stop()
            try volume.createSubvolume("data", owner: TestCluster.user)
            try volume.createSubvolume("ts", owner: TestCluster.user)
            try Command.output("/bin/cp", ["-a", cluster.dataDirectory + "/.", volume.top + "/data/"])
            try FileManager.default.moveItem(atPath: cluster.dataDirectory, toPath: cluster.root + "/data.initdb")
            let location = cluster.root + "/ts"
            for path in [cluster.dataDirectory, location] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }
            try volume.mount(subvolume: "data", at: cluster.dataDirectory)
            try volume.mount(subvolume: "ts", at: location)
            try cluster.start()
            defer { try? cluster.stop() }
            try cluster.psql("CREATE TABLESPACE fast LOCATION '\(location)'")
            try cluster.initializePgbench(scale: 1, tablespace: "fast")
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")

            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let common = ["--target", fixture.target, "--run-directory", fixture.runDirectory]
            let done = LockedFlag()
            let loadDone = DispatchSemaphore(value: 0)
            let load = Thread {
                defer { loadDone.signal() }
                while !done.value {
                    _ = Command.run(
                        cluster.installation.tool("pgbench"),
                        ["-t", "100", "-c", "2", "-n", "-h", cluster.socketDirectory, "-U", "postgres", "postgres"],
                        asUser: TestCluster.user)
                }
            }
            load.start()
            let freezeStarted = Date()
            let freeze = try Pgsnap.run(["freeze", "--json", "--conninfo", cluster.conninfo] + common)
            let latency = Date().timeIntervalSince(freezeStarted)
            #expect(freeze.status == 0, "\(freeze.output)")
            let id = try #require(try freeze.json()["id"] as? String)
            try volume.snapshot("data", to: "snap-data", readOnly: true)
            Thread.sleep(forTimeInterval: 2)
            try volume.snapshot("ts", to: "snap-ts", readOnly: true)
            Thread.sleep(forTimeInterval: 1)
            let thaw = try Pgsnap.run(["thaw", "--json", "--snapshot-name", "btrfs snap-data+snap-ts"] + common)
            done.set()
            loadDone.wait()
            #expect(thaw.status == 0, "\(thaw.output)")
            let window = try thaw.json()["window_seconds"] as? Double ?? -1
            print("btrfs freeze latency \(latency) s, backup-mode window \(window) s (PostgreSQL \(major))")

            // Later, elsewhere: writable clones of the snapshots, the original still running.
            try FileManager.default.createDirectory(atPath: volume.top + "/clone", withIntermediateDirectories: false)
            // Where the clone's server writes its log.
            try Command.output("/bin/chown", [TestCluster.user, volume.top + "/clone"])
            try volume.snapshot("snap-data", to: "clone/data", readOnly: false)
            try volume.snapshot("snap-ts", to: "clone-ts", readOnly: false)
            let cloneRoot = volume.top + "/clone"
            let cloneTablespace = volume.top + "/clone-ts"
            #expect(FileManager.default.fileExists(atPath: cloneRoot + "/data/postmaster.pid"), "a live snapshot")
            let restore = try Pgsnap.run(
                [
                    "restore", id, "--in-place", "--pgdata", cloneRoot + "/data", "--tablespace",
                    "fast=" + cloneTablespace,
                ] + common)
            #expect(restore.status == 0, "\(restore.output)")
            #expect(!FileManager.default.fileExists(atPath: cloneRoot + "/data/postmaster.pid"))
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: cloneRoot + "/data/pg_tblspc/" + oid)
                    == cloneTablespace)
            let clone = try RestoredCluster(adopting: cloneRoot, installation: cluster.installation)
            defer { clone.destroy() }
            try clone.start()
            #expect(try clone.waitUntilOutOfRecovery(), "\(clone.serverLog)")
            #expect(try clone.psql(BackupCommandTests.invariantSQL) == "t", "\(clone.serverLog)")
            #expect(try clone.psql("SELECT count(*) FROM pgbench_accounts") == "100000")
            #expect(
                try clone.psql("SELECT pg_tablespace_location(\(oid))") == cloneTablespace,
                "the clone writes into its own tablespace clone, never the original")
            #expect(clone.serverLog.contains("consistent recovery state reached"), "\(clone.serverLog)")
            // As in BackupCommandTests: only where the installation ships the amcheck extension
            // (the PostgreSQL 16 test build does not).
            let extensionDirectories = [
                cluster.installation.binDirectory + "/../share/extension",
                "/usr/share/postgresql/\(major)/extension",
            ]
            if extensionDirectories.contains(where: { FileManager.default.fileExists(atPath: $0 + "/amcheck.control") })
            {
                let amcheck = Command.run(
                    cluster.installation.tool("pg_amcheck"),
                    ["--install-missing", "-h", clone.socketDirectory, "-U", "postgres", "--all"],
                    asUser: TestCluster.user)
                #expect(amcheck.status == 0, "pg_amcheck: \(amcheck.output)")
                print("pg_amcheck clean on the clone (PostgreSQL \(major))")
            }
        }
    }

    @Test func restoreInPlaceRefusesADirectoryOfAnotherCluster() throws {
        try withCluster(15) { cluster in
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let common = ["--target", fixture.target, "--run-directory", fixture.runDirectory]
            #expect(try Pgsnap.run(["freeze", "--conninfo", cluster.conninfo] + common).status == 0)
            let thaw = try Pgsnap.run(["thaw", "--json"] + common)
            let id = try #require(try thaw.json()["id"] as? String)
            try withCluster(15) { other in
                try other.stop()
                let run = try Pgsnap.run(["restore", id, "--in-place", "--pgdata", other.dataDirectory] + common)
                #expect(run.status == 10, "\(run.output)")
                #expect(
                    run.output.split(separator: "\n").count == 1 && run.output.contains("is not a clone"),
                    "\(run.output)")
                #expect(FileManager.default.fileExists(atPath: other.dataDirectory + "/pg_wal/archive_status"))
                #expect(!FileManager.default.fileExists(atPath: other.dataDirectory + "/backup_label"))
            }
            // A running cluster is refused, even its own.
            let running = try Pgsnap.run(["restore", id, "--in-place", "--pgdata", cluster.dataDirectory] + common)
            #expect(running.status == 10, "\(running.output)")
            #expect(running.output.contains("running"), "\(running.output)")
            // A pg_wal linking out of the clone is the original's WAL: never emptied without --waldir.
            try cluster.stop()
            let original = cluster.root + "/wal-original"
            try FileManager.default.moveItem(atPath: cluster.dataDirectory + "/pg_wal", toPath: original)
            try FileManager.default.createSymbolicLink(
                atPath: cluster.dataDirectory + "/pg_wal", withDestinationPath: original)
            let before = try FileManager.default.contentsOfDirectory(atPath: original).sorted()
            let linked = try Pgsnap.run(["restore", id, "--in-place", "--pgdata", cluster.dataDirectory] + common)
            #expect(linked.status == 64 && linked.output.contains("--waldir"), "\(linked.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: original).sorted() == before)
            let clonedWAL = cluster.root + "/wal-clone"
            try FileManager.default.createDirectory(atPath: clonedWAL, withIntermediateDirectories: false)
            let placed = try Pgsnap.run(
                ["restore", id, "--in-place", "--pgdata", cluster.dataDirectory, "--waldir", clonedWAL] + common)
            #expect(placed.status == 0, "\(placed.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: original).sorted() == before)
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: cluster.dataDirectory + "/pg_wal")
                    == clonedWAL)
            let segments = try FileManager.default.contentsOfDirectory(atPath: clonedWAL).filter { $0.count == 24 }
            #expect(!segments.isEmpty, "the record's WAL went to --waldir")
        }
    }
}

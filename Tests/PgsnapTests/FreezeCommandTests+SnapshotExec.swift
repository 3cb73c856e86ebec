import Foundation
import Testing

/// `pgsnap snapshot-exec -- COMMAND`: freeze, the storage system's one command, thaw always.
extension FreezeCommandTests {
    @Test(arguments: PostgresInstallation.required)
    func aSucceedingSnapshotCommandRunsInBackupModeAndIsRecorded(major: Int) throws {
        try withBench(major) { bench in
            let location = try bench.cluster.createTablespace("fast")
            let seen = bench.fixture.runDirectory + "/seen"
            // What the command saw: its variables, and the holder's slot (backup mode is on).
            let script = """
                printf '%s\\n' "$PGSNAP_ID" "$PGSNAP_START_LSN" "$PGSNAP_PGDATA" "$PGSNAP_TABLESPACES" "$PGSNAP_VOLUMES" > \(seen)
                \(bench.cluster.installation.tool("psql")) -X -At -h \(bench.cluster.socketDirectory) -U postgres -d postgres \
                  -c 'SELECT count(*) FROM pg_replication_slots' >> \(seen)
                """
            let run = try Pgsnap.run(
                ["snapshot-exec", "--json", "--conninfo", bench.cluster.conninfo, "--snapshot-name", "exec-1"]
                    + bench.common + ["--", "/bin/sh", "-c", script])
            #expect(run.status == 0, "\(run.output)")
            let thawed = try run.json()
            let id = try #require(thawed["id"] as? String)
            let lines = try String(contentsOfFile: seen, encoding: .utf8).split(
                separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count >= 6, "\(lines)")
            #expect(lines[0] == id && lines[1] == thawed["start_lsn"] as? String ?? "?", "\(lines)")
            #expect(lines[2] == bench.cluster.dataDirectory && lines[3] == location, "\(lines)")
            #expect(!lines[4].isEmpty, "PGSNAP_VOLUMES: \(lines)")
            #expect(lines[5] == "1", "the holder's slot existed while the command ran: \(lines)")
            let record = try #require(
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: bench.fixture.target + "/\(id)/backup.json")))
                    as? [String: Any])
            #expect(record["kind"] as? String == "external")
            #expect((record["external"] as? [String: Any])?["snapshot_name"] as? String == "exec-1")
            try bench.expectNothingLeft()
        }
    }

    @Test(arguments: PostgresInstallation.required)
    func aFailingSnapshotCommandFailsTheRunWithItsExitCode(major: Int) throws {
        try withBench(major) { bench in
            let run = try Pgsnap.run(
                ["snapshot-exec", "--conninfo", bench.cluster.conninfo] + bench.common
                    + ["--", "/bin/sh", "-c", "echo array says no >&2; exit 42"])
            #expect(run.status == 42, "\(run.output)")
            let own = run.output.split(separator: "\n").filter { $0.hasPrefix("pgsnap:") }
            #expect(own.count == 1 && own[0].contains("exited 42"), "\(run.output)")
            #expect(run.output.contains("array says no"), "the command's own stderr reaches the caller")
            let failed = try FailedRun.onlyRecord(in: bench.fixture.target)
            #expect(failed["exit_status"] as? Int == 42, "\(failed)")
            #expect((failed["error"] as? String)?.contains("exited 42") == true, "\(failed)")
            #expect(bench.entries(suffix: "").filter { !$0.contains(".") && $0 != "pgsnap" }.isEmpty)
            try bench.expectNothingLeft()
        }
    }
}

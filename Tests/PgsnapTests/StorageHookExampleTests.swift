import Foundation
import Testing

/// The shipped hooks/storage examples, run the way their callers run them, on a real server
/// (issue 10, item 5). What cannot run here is stood in for at the caller's edge only: the
/// hypervisor's `qm guest exec` runs the guest command locally, and Velero's annotation
/// commands are run as the JSON arrays they are.
@Suite("hooks/storage examples", .serialized, .integration)
struct StorageHookExampleTests {
    static let directory = SourceFiles.root.deletingLastPathComponent().appendingPathComponent("hooks/storage").path

    private func withConfig(_ body: (FreezeCommandTests.Bench, _ config: String) throws -> Void) throws {
        try FreezeCommandTests().withBench(15) { bench in
            let config = bench.fixture.runDirectory + "/pgsnap.conf"
            try """
            conninfo = '\(bench.cluster.conninfo)'
            target = \(bench.fixture.target)
            run_directory = \(bench.fixture.runDirectory)
            freeze_timeout = 60
            """.write(toFile: config, atomically: true, encoding: .utf8)
            try body(bench, config)
        }
    }

    private func record(_ bench: FreezeCommandTests.Bench) throws -> [String: Any] {
        let ids = bench.entries(suffix: "").filter { !$0.contains(".") }
        let id = try #require(ids.count == 1 ? ids.first : nil, "one record: \(ids)")
        let data = try Data(contentsOf: URL(fileURLWithPath: bench.fixture.target + "/\(id)/backup.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func theQemuGuestAgentHookFreezesAndThaws() throws {
        try withConfig { bench, config in
            let hook = Self.directory + "/qemu-guest-agent-fsfreeze-hook"
            let environment = ["PGSNAP": Pgsnap.path, "PGSNAP_CONFIG": config]
            let freeze = Command.run(hook, ["freeze"], environment: environment)
            #expect(freeze.status == 0, "\(freeze.output)")
            #expect(try bench.sessions == "1" && bench.slots == "1", "backup mode is held")
            let thaw = Command.run(hook, ["thaw"], environment: environment)
            #expect(thaw.status == 0, "\(thaw.output)")
            let external = try #require(try record(bench)["external"] as? [String: Any])
            #expect((external["snapshot_name"] as? String)?.hasPrefix("qemu-ga ") == true, "\(external)")
            #expect(Command.run(hook, ["thaw"], environment: environment).status == 13, "a second thaw")
            try bench.expectNothingLeft()
        }
    }

    @Test func theArraySnapshotExecExampleNamesTheSnapshotAfterTheBackup() throws {
        try withConfig { bench, config in
            let snapshots = bench.fixture.runDirectory + "/array"
            try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: false)
            let script = Self.directory + "/array-snapshot-exec"
            let run = Command.run(
                script, [],
                environment: [
                    "PGSNAP": Pgsnap.path, "PGSNAP_CONFIG": config,
                    "ARRAY_SNAPSHOT": "/usr/bin/env --chdir=\(snapshots) /usr/bin/touch",
                ])
            #expect(run.status == 0, "\(run.output)")
            let id = try #require(try record(bench)["id"] as? String)
            #expect(try FileManager.default.contentsOfDirectory(atPath: snapshots) == ["pgsnap-\(id)"])
            let failing = Command.run(
                script, [],
                environment: ["PGSNAP": Pgsnap.path, "PGSNAP_CONFIG": config, "ARRAY_SNAPSHOT": "/bin/false"])
            #expect(failing.status == 1, "the array CLI's own exit code: \(failing.output)")
            let failed = bench.entries(suffix: ".failed")
            #expect(failed.count == 1, "\(failed)")
            let data = try Data(
                contentsOf: URL(fileURLWithPath: bench.fixture.target + "/\(failed.first ?? "")/backup.json"))
            #expect((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["exit_status"] as? Int == 1)
            try bench.expectNothingLeft()
        }
    }

    @Test func theProxmoxHookFreezesAtBackupStartAndThawsAtBackupEnd() throws {
        try withConfig { bench, config in
            // `qm guest exec VMID --timeout N -- CMD...` run here, in place of the guest.
            let qm = bench.fixture.runDirectory + "/qm"
            try "#!/bin/sh\nshift 6\nexec \"$@\" --config \(config)\n".write(
                toFile: qm, atomically: true, encoding: .utf8)
            chmod(qm, 0o755)
            let hook = Self.directory + "/proxmox-vzdump-hook"
            let environment = ["QM": qm, "PGSNAP_IN_GUEST": Pgsnap.path]
            #expect(Command.run(hook, ["job-start", "snapshot", ""], environment: environment).status == 0)
            let start = Command.run(hook, ["backup-start", "snapshot", "100"], environment: environment)
            #expect(start.status == 0, "\(start.output)")
            #expect(try bench.sessions == "1")
            let end = Command.run(hook, ["backup-end", "snapshot", "100"], environment: environment)
            #expect(end.status == 0, "\(end.output)")
            #expect((try record(bench)["external"] as? [String: Any])?["snapshot_name"] as? String == "vzdump 100")
            try bench.expectNothingLeft()
        }
    }

    @Test func theVeleroAnnotationsAreCommandsPgsnapAccepts() throws {
        try withConfig { bench, config in
            let yaml = try String(contentsOfFile: Self.directory + "/velero-hooks.yaml", encoding: .utf8)
            var commands: [String: [String]] = [:]
            for line in yaml.split(separator: "\n") {
                for phase in ["pre", "post"] where line.contains("\(phase).hook.backup.velero.io/command:") {
                    let json = line.split(separator: "'")[1]
                    commands[phase] = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
                }
            }
            for phase in ["pre", "post"] {
                var command = try #require(commands[phase], "\(phase) hook")
                #expect(command[0] == "/usr/local/bin/pgsnap")
                command = command.map { $0 == "/etc/pgsnap/pgsnap.conf" ? config : $0 }
                let run = Command.run(Pgsnap.path, Array(command.dropFirst()))
                #expect(run.status == 0, "\(phase): \(run.output)")
            }
            #expect((try record(bench)["external"] as? [String: Any])?["snapshot_name"] as? String == "velero")
            try bench.expectNothingLeft()
        }
    }
}

import Foundation
import Testing

@testable import Backup

/// The hook rules without PostgreSQL: the safety checks of `hook_directory` and the posix_spawn
/// runner itself (clean environment, captured output, timeouts). The events' order around the
/// real stages, and what a failing hook or stage does to the run, is `BackupRunTests`'.
@Suite("Hooks", .serialized)
struct HookUnitTests {
    static func makeHooks(_ recorder: RecordingHookRunner, directory: String?, warnings: WarningLog = WarningLog())
        throws -> BackupHooks
    {
        try BackupHooks(
            directory: directory, timeout: 5, runner: recorder, context: ["PGSNAP_BACKUP_ID": "20261124T031500Z"],
            log: { _ in }, warn: { warnings.append($0) })
    }

    final class WarningLog: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    // MARK: - hook_directory safety

    @Test(.integration) func unsafeDirectoriesAndHooksAreRefusedWithExit3() throws {
        let directory = try HookDirectoryFixture.make(events: [.preBackup])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        func refusal() -> HookError? {
            do {
                _ = try Self.makeHooks(recorder, directory: directory)
                return nil
            } catch { return error as? HookError }
        }
        #expect(refusal() == nil)
        chmod(directory, 0o777)
        #expect(refusal()?.code == .insecure)
        #expect(refusal()?.exitStatus == .configuration)
        chmod(directory, 0o755)
        chmod(directory + "/pre-backup", 0o775)
        #expect(refusal()?.message.contains("writable by group or others (mode 775)") == true)
        chmod(directory + "/pre-backup", 0o755)
        chown(directory + "/pre-backup", 65534, 0)
        #expect(refusal()?.message.contains("owned by uid 65534") == true)
        unlink(directory + "/pre-backup")
        // A symlink is followed, and where it points must be as safe.
        let elsewhere = try TemporaryDirectory.make(prefix: "pgsnap-hooks-elsewhere-")
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try HookDirectoryFixture.write("notify", "#!/bin/sh\n", in: elsewhere)
        symlink(elsewhere + "/notify", directory + "/pre-backup")
        chmod(elsewhere, 0o777)
        #expect(refusal()?.message.contains("links into") == true)
        chmod(elsewhere, 0o755)
        #expect(refusal() == nil)
        unlink(directory + "/pre-backup")
        mkdir(directory + "/pre-backup", 0o755)
        #expect(refusal()?.code == .notRegularFile)
        rmdir(directory + "/pre-backup")
        #expect(throws: HookError.self) { try Self.makeHooks(recorder, directory: directory + "/missing") }
    }

    @Test func aNonExecutableHookIsSkippedWithAWarning() throws {
        let directory = try HookDirectoryFixture.make(events: [.postBackup])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write("pre-backup", "#!/bin/sh\n", in: directory, mode: 0o644)
        try HookDirectoryFixture.write("pre_backup", "#!/bin/sh\n", in: directory)
        let recorder = RecordingHookRunner()
        let warnings = WarningLog()
        let hooks = try Self.makeHooks(recorder, directory: directory, warnings: warnings)
        try hooks.pre(.preBackup)
        hooks.post(.postBackup, failure: nil)
        #expect(recorder.journal == ["post-backup"])
        #expect(warnings.all.contains { $0.contains("pre-backup hook") && $0.contains("not executable") })
        #expect(warnings.all.contains { $0.contains("pre_backup is not an event name") })
    }

    // MARK: - The posix_spawn runner

    @Test func theRunnerPassesOnlyTheGivenEnvironmentAndCapturesOutput() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write(
            "pre-backup",
            """
            #!/bin/bash
            echo "cwd=$(pwd)"
            echo "inherited=$(ls -l /proc/$$/fd | grep -c pgsnap-sentinel)"
            env | grep -v -E '^(PWD|SHLVL|_)=' | sort
            echo "to stderr" >&2
            exit 0
            """, in: directory)
        setenv("PGSNAP_UNIT_SECRET", "must-not-leak", 1)
        // A descriptor pgsnap holds without O_CLOEXEC (as a library's might be) stays behind.
        let sentinel = open(directory + "/pgsnap-sentinel", O_RDWR | O_CREAT, 0o600)
        defer { close(sentinel) }
        defer { unsetenv("PGSNAP_UNIT_SECRET") }
        let result = SpawnedHookRunner().run(
            path: directory + "/pre-backup", environment: ["PATH": "/usr/bin:/bin", "PGSNAP_X": "y z"],
            timeout: 10, shouldStop: { false })
        #expect(result.ending == .exited(0))
        #expect(result.stdout == ["cwd=/", "inherited=0", "PATH=/usr/bin:/bin", "PGSNAP_X=y z"])
        #expect(result.stderr == ["to stderr"])
    }

    @Test func theRunnerReportsExitStatusAndUnstartableHooks() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write("a", "#!/bin/sh\necho bad >&2\nexit 7\n", in: directory)
        try HookDirectoryFixture.write("b", "no interpreter line\n", in: directory)
        let runner = SpawnedHookRunner()
        let failed = runner.run(path: directory + "/a", environment: [:], timeout: 10, shouldStop: { false })
        #expect(failed.ending == .exited(7))
        #expect(failed.stderr == ["bad"])
        let unstartable = runner.run(path: directory + "/b", environment: [:], timeout: 10, shouldStop: { false })
        guard case .cannotStart = unstartable.ending else {
            Issue.record("expected cannotStart, got \(unstartable.ending)")
            return
        }
    }

    @Test func aTimedOutHookIsKilledWithEverythingItStarted() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // One child dies of SIGTERM; the leader and a second child ignore it and need SIGKILL.
        try HookDirectoryFixture.write(
            "slow",
            """
            #!/bin/sh
            sleep 300 & echo $! > "\(directory)/child1"
            trap '' TERM
            sleep 301 & echo $! > "\(directory)/child2"
            wait
            """, in: directory)
        let started = Date()
        let result = SpawnedHookRunner(killGrace: 1).run(
            path: directory + "/slow", environment: ["PATH": "/usr/bin:/bin"],
            timeout: 1, shouldStop: { false })
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.ending == .timedOut)
        #expect(elapsed < 4, "timeout 1 s + grace 1 s, took \(elapsed)")
        for name in ["child1", "child2"] {
            let pid = try #require(
                Int32(
                    try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Self.isGoneOrZombie(pid), "\(name) (\(pid)) survived")
        }
    }

    @Test func aStopRequestEndsARunningHook() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write("slow", "#!/bin/sh\nsleep 300\n", in: directory)
        let deadline = Date().addingTimeInterval(0.5)
        let result = SpawnedHookRunner(killGrace: 1).run(
            path: directory + "/slow", environment: [:], timeout: 60,
            shouldStop: { Date() > deadline })
        #expect(result.ending == .stopped)
    }

    /// A process that is gone, or a zombie waiting for a reaper (containers' PID 1 may not reap).
    static func isGoneOrZombie(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return true }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }
}

import Foundation
import Testing

@testable import Backup

/// The hook rules without PostgreSQL: the pairing of `pre-*` and `post-*` events around stand-in
/// stages, what a failing hook does to the run, the safety checks of `hook_directory`, and the
/// posix_spawn runner itself (clean environment, captured output, timeouts).
@Suite("Hooks", .serialized)
struct HookUnitTests {
    /// The stages of `BackupRun.runStages` in order, as a stand-in run drives them; `snapshots`
    /// sits between the snapshot hooks exactly as `createSnapshotsBetweenHooks` places it.
    static let stages = ["lock", "leftovers", "plan", "start backup mode", "snapshots", "stop backup mode", "mount",
                         "target", "copy", "wal", "manifest", "commit"]

    /// A stand-in stage's failure (exit 5, as a storage stage would fail).
    static func stageFailure(_ stage: String) -> BackupError {
        BackupError(code: .unexpectedSnapshotContents, detail: "\(stage) failed")
    }

    /// Mirrors `BackupRun.run()`: stages, teardown, then `post-backup`; returns the run's error.
    static func simulateRun(hooks: BackupHooks, recorder: RecordingHookRunner, failingAt failing: String?,
                            snapshots: Bool = true) -> (any Error)? {
        func stage(_ name: String) throws {
            recorder.note(name)
            if name == failing { throw stageFailure(name) }
        }
        var runError: (any Error)?
        do {
            try stage("lock")
            try hooks.pre(.preBackup)
            for name in stages.dropFirst() {
                guard name == "snapshots", snapshots else { try stage(name); continue }
                do {
                    try hooks.pre(.preSnapshot)
                    try stage(name)
                } catch {
                    hooks.post(.postSnapshot, failure: (BackupRun.Failure(error).message, BackupRun.Failure(error).exitStatus))
                    throw error
                }
                hooks.post(.postSnapshot, failure: nil)
            }
        } catch {
            runError = error
        }
        recorder.note("teardown")
        let failure = runError.map { BackupRun.Failure($0) }
        hooks.post(.postBackup, failure: failure.map { ($0.message, $0.exitStatus) })
        return runError
    }

    static func makeHooks(_ recorder: RecordingHookRunner, directory: String?, warnings: WarningLog = WarningLog())
        throws -> BackupHooks
    {
        try BackupHooks(directory: directory, timeout: 5, runner: recorder, context: ["PGSNAP_BACKUP_ID": "20261124T031500Z"],
                        log: { _ in }, warn: { warnings.append($0) })
    }

    final class WarningLog: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func aSuccessfulRunCallsEveryEventInOrder() throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        let hooks = try Self.makeHooks(recorder, directory: directory)
        #expect(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil) == nil)
        #expect(recorder.journal == ["lock", "pre-backup", "leftovers", "plan", "start backup mode", "pre-snapshot",
                                     "snapshots", "post-snapshot", "stop backup mode", "mount", "target", "copy", "wal",
                                     "manifest", "commit", "teardown", "post-backup"])
        let post = try #require(recorder.environment(.postBackup))
        #expect(post["PGSNAP_STATUS"] == "success")
        #expect(post["PGSNAP_EXIT_STATUS"] == "0")
        #expect(post["PGSNAP_ERROR"] == nil)
        #expect(post["PGSNAP_BACKUP_ID"] == "20261124T031500Z")
        #expect(post["PATH"] == "/usr/sbin:/usr/bin:/sbin:/bin")
        #expect(recorder.environment(.preBackup)?["PGSNAP_STATUS"] == nil, "a pre-* hook has no outcome yet")
    }

    @Test(arguments: stages)
    func aFailingStageStillClosesEveryOpenedEvent(stage: String) throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        let hooks = try Self.makeHooks(recorder, directory: directory)
        let error = Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: stage)
        #expect((error as? BackupError)?.detail == "\(stage) failed")
        let journal = recorder.journal
        let index = try #require(journal.firstIndex(of: stage))
        let reachedSnapshots = Self.stages.firstIndex(of: stage)! >= Self.stages.firstIndex(of: "snapshots")!
        if stage == "lock" {
            #expect(journal == ["lock", "teardown"], "nothing opened, nothing to close")
            return
        }
        #expect(journal.last == "post-backup")
        #expect(journal.dropLast().last == "teardown", "post-backup runs after teardown")
        #expect(journal.contains("pre-snapshot") == journal.contains("post-snapshot"))
        if stage == "snapshots" {
            #expect(journal[index + 1] == "post-snapshot", "the thaw follows the failed snapshot stage at once")
        }
        if reachedSnapshots {
            #expect(recorder.environment(.postSnapshot)?["PGSNAP_STATUS"] == (stage == "snapshots" ? "failure" : "success"))
        }
        let post = try #require(recorder.environment(.postBackup))
        #expect(post["PGSNAP_STATUS"] == "failure")
        #expect(post["PGSNAP_EXIT_STATUS"] == "5")
        #expect(post["PGSNAP_ERROR"] == "\(stage) failed")
    }

    @Test func aFailingPreBackupHookStopsTheRunWithExit11() throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        recorder.endings[.preBackup] = .exited(3)
        let warnings = WarningLog()
        let hooks = try Self.makeHooks(recorder, directory: directory, warnings: warnings)
        let error = try #require(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil) as? HookError)
        #expect(error.exitStatus == .hook)
        #expect(error.code == .failed)
        #expect(error.message == "pre-backup hook \(directory)/pre-backup exited with status 3: no pre-backup today")
        #expect(recorder.journal == ["lock", "pre-backup", "teardown", "post-backup"])
        #expect(recorder.environment(.postBackup)?["PGSNAP_EXIT_STATUS"] == "11")
        #expect(warnings.all.contains("hook pre-backup: no pre-backup today"), "its stderr is logged as a warning")
    }

    @Test(arguments: [HookResult.Ending.exited(1), .timedOut, .cannotStart("Exec format error"), .signalled(9)])
    func aFailingPreSnapshotHookIsFollowedByPostSnapshotAndTeardown(ending: HookResult.Ending) throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        recorder.endings[.preSnapshot] = ending
        let hooks = try Self.makeHooks(recorder, directory: directory)
        let error = try #require(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil) as? HookError)
        #expect(error.exitStatus == .hook)
        #expect(error.event == .preSnapshot)
        #expect(recorder.journal == ["lock", "pre-backup", "leftovers", "plan", "start backup mode", "pre-snapshot",
                                     "post-snapshot", "teardown", "post-backup"],
                "no snapshot is taken, the thaw still runs, then teardown stops backup mode")
        #expect(recorder.environment(.postSnapshot)?["PGSNAP_STATUS"] == "failure")
        #expect(recorder.environment(.postSnapshot)?["PGSNAP_EXIT_STATUS"] == "11")
    }

    @Test func failingPostHooksAreOnlyWarnings() throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        recorder.endings[.postSnapshot] = .exited(1)
        recorder.endings[.postBackup] = .timedOut
        let warnings = WarningLog()
        let hooks = try Self.makeHooks(recorder, directory: directory, warnings: warnings)
        #expect(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil) == nil)
        #expect(recorder.journal.contains("commit"), "the run went on after post-snapshot failed")
        #expect(warnings.all.contains { $0.contains("post-snapshot hook") && $0.contains("exited with status 1") })
        #expect(warnings.all.contains { $0.contains("post-backup hook") && $0.contains("timed out") })
    }

    @Test func withoutSnapshotsNeitherSnapshotEventHappens() throws {
        let directory = try HookDirectoryFixture.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        let hooks = try Self.makeHooks(recorder, directory: directory)
        #expect(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil, snapshots: false) == nil)
        #expect(!recorder.journal.contains("pre-snapshot") && !recorder.journal.contains("post-snapshot"))
    }

    @Test func withoutAHookDirectoryNothingRuns() throws {
        let recorder = RecordingHookRunner()
        let hooks = try Self.makeHooks(recorder, directory: nil)
        #expect(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil) == nil)
        #expect(!recorder.journal.contains { $0.hasPrefix("pre-") || $0.hasPrefix("post-") })
    }

    @Test func onlyPresentHooksRunButPostEventsFollowTheirPreEventsTurn() throws {
        let directory = try HookDirectoryFixture.make(events: [.postSnapshot])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        let hooks = try Self.makeHooks(recorder, directory: directory)
        _ = Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: "snapshots")
        #expect(recorder.journal.filter { $0.contains("-") } == ["post-snapshot"],
                "a thaw without a freeze hook still runs: the freeze may live elsewhere")
    }

    // MARK: - hook_directory safety

    @Test(.integration) func unsafeDirectoriesAndHooksAreRefusedWithExit3() throws {
        let directory = try HookDirectoryFixture.make(events: [.preBackup])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recorder = RecordingHookRunner()
        func refusal() -> HookError? {
            do { _ = try Self.makeHooks(recorder, directory: directory); return nil } catch { return error as? HookError }
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
        #expect(Self.simulateRun(hooks: hooks, recorder: recorder, failingAt: nil, snapshots: false) == nil)
        #expect(recorder.journal.filter { $0.contains("-") } == ["post-backup"])
        #expect(warnings.all.contains { $0.contains("pre-backup hook") && $0.contains("not executable") })
        #expect(warnings.all.contains { $0.contains("pre_backup is not an event name") })
    }

    // MARK: - The posix_spawn runner

    @Test func theRunnerPassesOnlyTheGivenEnvironmentAndCapturesOutput() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write("pre-backup", """
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
        let result = SpawnedHookRunner().run(path: directory + "/pre-backup", environment: ["PATH": "/usr/bin:/bin", "PGSNAP_X": "y z"],
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
        try HookDirectoryFixture.write("slow", """
            #!/bin/sh
            sleep 300 & echo $! > "\(directory)/child1"
            trap '' TERM
            sleep 301 & echo $! > "\(directory)/child2"
            wait
            """, in: directory)
        let started = Date()
        let result = SpawnedHookRunner(killGrace: 1).run(path: directory + "/slow", environment: ["PATH": "/usr/bin:/bin"],
                                                         timeout: 1, shouldStop: { false })
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.ending == .timedOut)
        #expect(elapsed < 4, "timeout 1 s + grace 1 s, took \(elapsed)")
        for name in ["child1", "child2"] {
            let pid = try #require(Int32(try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Self.isGoneOrZombie(pid), "\(name) (\(pid)) survived")
        }
    }

    @Test func aStopRequestEndsARunningHook() throws {
        let directory = try HookDirectoryFixture.make(events: [])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HookDirectoryFixture.write("slow", "#!/bin/sh\nsleep 300\n", in: directory)
        let deadline = Date().addingTimeInterval(0.5)
        let result = SpawnedHookRunner(killGrace: 1).run(path: directory + "/slow", environment: [:], timeout: 60,
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

import Foundation
import Testing

/// Runs helper programs in tests, failing with their output when they fail.
enum Command {
    struct Failure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String { "\(command) exited \(status): \(output)" }
    }

    /// Runs `executable` with `arguments`, optionally as another user via runuser, and returns
    /// stdout+stderr. Throws when the exit status is not 0.
    @discardableResult
    static func output(
        _ executable: String, _ arguments: [String], asUser user: String? = nil,
        environment: [String: String] = [:]
    ) throws -> String {
        let result = run(executable, arguments, asUser: user, environment: environment)
        guard result.status == 0 else {
            throw Failure(
                command: ([executable] + arguments).joined(separator: " "), status: result.status,
                output: result.output)
        }
        return result.output
    }

    /// Runs and returns exit status and combined output without judging them.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process, whose exit monitoring was seen
    /// to miss children here when tests run concurrently; output goes to files, not pipes, so a
    /// daemon the command starts (pg_ctl start) cannot hold them open.
    static func run(
        _ executable: String, _ arguments: [String], asUser user: String? = nil,
        environment: [String: String] = [:]
    ) -> (status: Int32, output: String, stdout: String) {
        if let refusal = unitTierRefusal(executable, asUser: user) {
            Issue.record(refusal)
            return (126, refusal.description, "")
        }
        var argv = [executable] + arguments
        var program = executable
        if let user {
            // From /: the test's own working directory (a clone under /root, say) may be one the
            // user cannot enter, and psql, initdb and pg_ctl then print "could not change
            // directory" into the output the tests compare.
            program = "/usr/sbin/runuser"
            argv =
                ["runuser", "-u", user, "--", "env", "--chdir=/"] + environment.map { "\($0)=\($1)" } + [executable]
                + arguments
        }
        let env = ProcessInfo.processInfo.environment.merging(user == nil ? environment : [:]) { $1 }
            .map { "\($0)=\($1)" }
        let outPath = NSTemporaryDirectory() + "/pgsnap-cmd-\(UUID().uuidString).out"
        let errPath = outPath.replacingOccurrences(of: ".out", with: ".err")
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var pid: pid_t = 0
        let spawned = withCStringArray(argv) { argvPointers in
            withCStringArray(env) { envPointers in
                posix_spawn(&pid, program, &actions, nil, argvPointers, envPointers)
            }
        }
        guard spawned == 0 else { return (127, "cannot start \(program): \(String(cString: strerror(spawned)))", "") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let outText = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return (exitStatus, outText + errText, outText)
    }

    /// Programs only root runs here, which a unit test must not need.
    private static let privileged: Set<String> = ["/bin/chown", "/bin/mount", "/bin/umount", "/sbin/losetup"]

    private static func unitTierRefusal(_ executable: String, asUser user: String?) -> TestTier.Refusal? {
        guard TestTier.current == .unit else { return nil }
        if let user { return TestTier.Refusal(what: "runs \(executable) as \(user)") }
        return privileged.contains(executable) ? TestTier.Refusal(what: "runs \(executable)") : nil
    }

    private static func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { for copy in copies { free(copy) } }
        return body(copies + [nil])
    }
}

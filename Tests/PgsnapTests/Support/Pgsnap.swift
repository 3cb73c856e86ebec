import Foundation
import Testing

/// Runs the built `pgsnap` executable the way a user or script does.
enum Pgsnap {
    /// `PGSNAP_BIN`, or the debug build next to the test bundle's package; a copy of it when
    /// the cluster's OS user could not run it there (ServerReachableBinary).
    static let path: String = ServerReachableBinary.reachable(built)

    private static let built: String = {
        if let path = ProcessInfo.processInfo.environment["PGSNAP_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/pgsnap").path
    }()

    struct Run {
        let status: Int32
        let output: String
        let stdout: String

        /// stdout parsed as a JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(stdout)")
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: path), "build pgsnap first: \(path)")
        // No /etc/pgsnap/pgsnap.conf on test machines should leak into a test.
        let result = Command.run(path, arguments, environment: environment)
        return Run(status: result.status, output: result.output, stdout: result.stdout)
    }
}

extension Pgsnap {
    /// A pgsnap process running in the background, for signal and failure tests.
    struct Running {
        let pid: pid_t
        let outputPath: String

        /// Waits for the exit and returns its status and combined output.
        func wait() -> (Int32, String) {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            unlink(outputPath)
            return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
        }

        /// Waits at most `seconds` for the exit; a process still running then is SIGKILLed (so
        /// a test that found a hang still ends) and `timedOut` is true.
        func wait(seconds: Double) -> (status: Int32, output: String, timedOut: Bool) {
            let deadline = Date().addingTimeInterval(seconds)
            var status: Int32 = 0
            while Date() < deadline {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid {
                    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                    unlink(outputPath)
                    return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output, false)
                }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
            let (killed, output) = wait()
            return (killed, output, true)
        }
    }

    static func start(_ arguments: [String]) throws -> Running {
        try #require(FileManager.default.isExecutableFile(atPath: path), "build pgsnap first: \(path)")
        let outputPath = NSTemporaryDirectory() + "/pgsnap-cmd-\(UUID().uuidString).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, environ)
        try #require(status == 0, "cannot start pgsnap: \(String(cString: strerror(status)))")
        return Running(pid: pid, outputPath: outputPath)
    }
}

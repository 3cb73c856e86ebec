import Backup
import Foundation

/// A `HookRunner` that runs nothing: it records each call (event and environment) into a
/// shared journal, which stand-in stages also write to, and ends each event as scripted.
final class RecordingHookRunner: HookRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var _journal: [String] = []
    private var _environments: [String: [String: String]] = [:]
    /// How each event ends; `.exited(0)` when absent.
    var endings: [HookEvent: HookResult.Ending] = [:]

    var journal: [String] { lock.withLock { _journal } }
    func environment(_ event: HookEvent) -> [String: String]? { lock.withLock { _environments[event.rawValue] } }

    /// A stage (or teardown) happened, in order with the hooks.
    func note(_ entry: String) { lock.withLock { _journal.append(entry) } }

    func run(
        path: String, environment: [String: String], timeout: Double,
        shouldStop: @escaping @Sendable () -> Bool
    ) -> HookResult {
        let event = environment["PGSNAP_EVENT"] ?? "?"
        lock.withLock {
            _journal.append(event)
            _environments[event] = environment
        }
        let ending = HookEvent(rawValue: event).flatMap { endings[$0] } ?? .exited(0)
        return HookResult(
            ending: ending, stdout: ["out of \(event)"], stderr: ending == .exited(0) ? [] : ["no \(event) today"])
    }
}

/// A hook directory holding an executable for every event (contents irrelevant to the fake).
enum HookDirectoryFixture {
    static func make(events: [HookEvent] = HookEvent.allCases, body: String = "#!/bin/sh\nexit 0\n") throws -> String {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-hooks-")
        chmod(directory, 0o755)
        for event in events { try write(event.rawValue, body, in: directory) }
        return directory
    }

    /// Written through an O_CLOEXEC descriptor: a process another suite spawns meanwhile (a
    /// postmaster lives on) would otherwise inherit it, and exec of the hook then fails with
    /// ETXTBSY ("Text file busy") for as long as that process runs.
    static func write(_ name: String, _ body: String, in directory: String, mode: mode_t = 0o755) throws {
        let path = directory + "/" + name
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Command.Failure(command: "open \(path)", status: errno, output: String(cString: strerror(errno)))
        }
        let bytes = Array(body.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else {
            throw Command.Failure(command: "write \(path)", status: errno, output: String(cString: strerror(errno)))
        }
        chmod(path, mode)
    }
}

import Foundation
import Testing

/// Where the fault-injection suite runs its cases: one real PostgreSQL 15 cluster shared by all
/// of them (one initdb for the suite), a fresh target and run directory per case, and the checks
/// every case must pass afterwards, whatever was injected: the documented exit status, exactly
/// one line on stderr, and nothing left behind — no pgsnap session or slot on the server, no
/// `.partial` or `.removing` in the target, no mount under the run directory, a free run lock,
/// and no run listed complete unless `pgsnap verify` passes on it.
final class FaultBench {
    let cluster: TestCluster
    /// The PostgreSQL version, in front of each case's line.
    let label: String

    init(cluster: TestCluster, label: String) {
        self.cluster = cluster
        self.label = label
    }

    /// One case's directories and the ways to start and watch `pgsnap backup` in them.
    final class Context {
        let cluster: TestCluster
        var target: String
        let runDirectory: String
        /// Extra problems a case found itself (a second process's status, a timing bound).
        var problems: [String] = []

        init(cluster: TestCluster) throws {
            self.cluster = cluster
            target = try TemporaryDirectory.make(prefix: "pgsnap-fault-target-")
            runDirectory = try TemporaryDirectory.make(prefix: "pgsnap-fault-run-")
        }

        func remove() {
            for path in [target, runDirectory] { try? FileManager.default.removeItem(atPath: path) }
        }

        var lockPath: String { runDirectory + "/pgsnap.lock" }

        func arguments(_ extra: [String]) -> [String] {
            [
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", cluster.conninfo,
            ] + extra
        }

        func run(_ extra: [String] = []) throws -> (Int32, String) {
            let run = try Pgsnap.run(arguments(extra))
            return (run.status, run.output)
        }

        func start(_ extra: [String] = []) throws -> Pgsnap.Running {
            try Pgsnap.start(arguments(extra))
        }

        /// Waits until `condition` holds, polling every 20 ms for at most `seconds`.
        @discardableResult
        func wait(_ what: String, seconds: Double = 60, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                usleep(20_000)
            }
            problems.append("never saw: \(what)")
            return false
        }

        var streaming: Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).contains { $0.hasSuffix(".partial") }
        }

        var slotExists: Bool {
            (try? cluster.psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgsnap%'")) == "1"
        }

        /// True while pgsnap's session runs `statement` (matched in pg_stat_activity.query).
        func sessionRuns(_ statement: String) -> Bool {
            let sql =
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap' AND state = 'active' AND query LIKE '%\(statement)%'"
            return (try? cluster.psql(sql)) == "1"
        }

        /// Sends `signal` and returns the exit status, the output and the seconds it took to exit.
        /// A process that ignores it for 30 s is a hang: it is killed and the case fails.
        func signal(_ process: Pgsnap.Running, _ signal: Int32) -> (Int32, String, Double) {
            let sent = Date()
            kill(process.pid, signal)
            let (status, output, timedOut) = process.wait(seconds: 30)
            if timedOut { problems.append("still running 30 s after signal \(signal): killed") }
            return (status, output, Date().timeIntervalSince(sent))
        }

        /// Waits for a run that must end by itself; one still running after `seconds` is a hang.
        func finish(_ process: Pgsnap.Running, seconds: Double = 300) -> (Int32, String) {
            let (status, output, timedOut) = process.wait(seconds: seconds)
            if timedOut { problems.append("still running after \(Int(seconds)) s: killed") }
            return (status, output)
        }
    }

    /// Runs one case and records what the checks found in `ledger`.
    func run(_ fault: FaultCase, into ledger: FaultLedger) {
        var problems: [String] = []
        do {
            let context = try Context(cluster: cluster)
            defer { context.remove() }
            let (status, output) = try fault.inject(context)
            problems += context.problems
            if status != fault.expectedStatus {
                problems.append("exit status \(status), expected \(fault.expectedStatus): \(output.prefix(400))")
            }
            let lines = output.split(separator: "\n")
            if fault.oneLine && lines.count != 1 {
                problems.append("\(lines.count) lines on stderr, expected exactly one: \(output.prefix(600))")
            }
            problems += leftovers(context)
        } catch {
            problems.append("the case itself failed: \(error)")
        }
        ledger.record(fault.name, problems)
        print(
            "fault injection: \(label): case '\(fault.name)': \(problems.isEmpty ? "survived" : problems.joined(separator: "; "))"
        )
    }

    /// Everything a failed or interrupted run must not leave behind.
    func leftovers(_ context: Context) -> [String] {
        var problems: [String] = []
        if (try? cluster.psql("SELECT 1")) != "1" {
            problems.append("the server is not running after the case")
            try? cluster.start()
        }
        // The server notices a closed connection at once, a killed client within a moment.
        let sessionGone = waitFor(seconds: 10) {
            (try? cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgsnap'")) == "0"
        }
        if !sessionGone { problems.append("a pgsnap session is still in pg_stat_activity") }
        if (try? cluster.psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgsnap%'")) != "0" {
            problems.append("a pgsnap replication slot is left")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: context.target)) ?? []
        for name in names where name.hasSuffix(".partial") || name.hasSuffix(".removing") {
            problems.append("\(name) is left in the target")
        }
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        if mounts.contains(" " + context.runDirectory + "/") {
            problems.append("a mount under the run directory is left")
        }
        let descriptor = open(context.lockPath, O_RDWR | O_CLOEXEC)
        if descriptor >= 0 {
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 { problems.append("the run lock is still held") }
            close(descriptor)
        }
        problems += unverifiableCompleteBackups(context)
        return problems
    }

    /// Every run `list` calls complete must pass `pgsnap verify`.
    private func unverifiableCompleteBackups(_ context: Context) -> [String] {
        guard FileManager.default.fileExists(atPath: context.target),
            let list = try? Pgsnap.run([
                "list", "--json", "--target", context.target, "--run-directory", context.runDirectory,
            ]),
            let entries = (try? list.json())?["backups"] as? [[String: Any]]
        else { return [] }
        var problems: [String] = []
        for entry in entries where entry["status"] as? String == "complete" {
            guard let id = entry["id"] as? String else { continue }
            let verify = try? Pgsnap.run([
                "verify", id, "--target", context.target, "--run-directory", context.runDirectory,
            ])
            if verify?.status != 0 {
                problems.append("\(id) is listed complete but verify says: \(verify?.output.prefix(300) ?? "")")
            }
        }
        return problems
    }

    private func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return false
    }
}

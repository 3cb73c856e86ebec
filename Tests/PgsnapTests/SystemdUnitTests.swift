import Foundation
import Testing

/// The systemd units in scripts/package/systemd: systemd itself accepts them, and the command
/// each one starts is one the built pgsnap parses.
@Suite("systemd units", .unit)
struct SystemdUnitTests {
    static let unitDirectory = SourceFiles.root.deletingLastPathComponent()
        .appendingPathComponent("scripts/package/systemd")
    /// Every unit shipped, read from the directory so that a unit added later is checked too.
    static let units: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: unitDirectory.path)) ?? [])
        .filter { $0.hasSuffix(".service") || $0.hasSuffix(".timer") }.sorted()
    static let analyzer = "/usr/bin/systemd-analyze"

    private func text(_ unit: String) throws -> String {
        try String(contentsOf: Self.unitDirectory.appendingPathComponent(unit), encoding: .utf8)
    }

    /// `ExecStart=` of a service, split on spaces (the units use no quoting).
    private func execStart(_ unit: String) throws -> [String] {
        let line = try #require(try text(unit).split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        return line.dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
    }

    /// Copies of the units whose ExecStart runs the built binary: /usr/bin/pgsnap is not
    /// installed here, and systemd-analyze refuses a unit whose program does not exist.
    private func installedCopies() throws -> String {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-units.")
        for unit in Self.units {
            let copy = try text(unit).replacingOccurrences(of: "/usr/bin/pgsnap", with: Pgsnap.path)
            try copy.write(toFile: directory + "/" + unit, atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func theBackupAndVerifyUnitsAreAllThere() {
        let expected = ["pgsnap-backup.service", "pgsnap-backup.timer", "pgsnap-verify.service", "pgsnap-verify.timer"]
        #expect(Self.units == expected)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyzer), "systemd-analyze is not installed"))
    func systemdAcceptsEveryUnit() throws {
        let directory = try installedCopies()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = Command.run(Self.analyzer, ["verify"] + Self.units.map { directory + "/" + $0 })
        #expect(result.status == 0, "systemd-analyze verify: \(result.output)")
        #expect(result.output.isEmpty, "systemd-analyze verify warned: \(result.output)")
    }

    @Test(arguments: ["pgsnap-backup.service", "pgsnap-verify.service"])
    func theServiceStartsTheInstalledBinaryWithThePackagedConfig(unit: String) throws {
        let command = try execStart(unit)
        #expect(command.first == "/usr/bin/pgsnap")
        #expect(command.contains("--config") && command.last == "/etc/pgsnap/pgsnap.conf")
        // The subcommand and every flag parse: --help after them exits 0 only if they do.
        let parsed = try Pgsnap.run(Array(command.dropFirst()) + ["--help"])
        #expect(parsed.status == 0, "\(command.joined(separator: " ")): \(parsed.output)")
    }

    @Test func eachTimerStartsItsService() throws {
        for timer in Self.units where timer.hasSuffix(".timer") {
            let service = timer.replacingOccurrences(of: ".timer", with: ".service")
            #expect(Self.units.contains(service), "\(timer) has no \(service)")
            let lines = try text(timer).split(separator: "\n")
            #expect(lines.contains("Persistent=true"), "\(timer): a missed night must run at boot")
            #expect(lines.contains("WantedBy=timers.target"))
        }
    }

    @Test func theBackupServiceKeepsTheRunDirectoryOthersUse() throws {
        // freeze, cleanup and a backup started by hand hold their lock in /run/pgsnap: systemd
        // must not remove it when the nightly run ends.
        let lines = try text("pgsnap-backup.service").split(separator: "\n")
        #expect(lines.contains("RuntimeDirectory=pgsnap"))
        #expect(lines.contains("RuntimeDirectoryPreserve=yes"))
        #expect(lines.contains("KillMode=mixed"))
    }
}

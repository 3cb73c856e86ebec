import Foundation
import Testing

/// A WARNING the server sends while pgsnap connects (a collation version mismatch after an OS
/// upgrade, on every connection) never reaches stderr raw, and a good run stays silent.
extension BackupCommandTests {
    @Test func aWarningSentWhileConnectingKeepsBackupAndCheckSilent() throws {
        try withCluster(15) { cluster in
            let conninfo = try cluster.databaseWarningAtConnect()
            let fixture = try TargetFixture()
            defer { withExtendedLifetime(fixture) {} }
            let (target, runDirectory) = (fixture.target, fixture.runDirectory)
            let backup = [
                "backup", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", conninfo, "--checkpoint", "fast",
            ]
            let run = try Pgsnap.run(backup)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.stderr.isEmpty, "stderr: \(run.stderr)")

            let check = try Pgsnap.run([
                "check", "--snapshot", "none", "--target", target, "--run-directory", runDirectory,
                "--conninfo", conninfo,
            ])
            #expect(check.status == 0, "\(check.output)")
            #expect(check.stderr.isEmpty, "stderr: \(check.stderr)")

            // At info the warning is in the log, marked as the server's, never raw.
            let verbose = try Pgsnap.run(backup + ["--log-level", "info"])
            #expect(verbose.status == 0, "\(verbose.output)")
            let marked = verbose.lines(naming: "server: WARNING: database \"warns\" has no actual collation version")
            #expect(marked.count >= 1, "\(verbose.stderr)")
            #expect(!verbose.stderr.split(separator: "\n").contains { $0.hasPrefix("WARNING:") }, "\(verbose.stderr)")
        }
    }
}

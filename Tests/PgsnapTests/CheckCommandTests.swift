import Foundation
import Testing

/// `pgsnap check` end to end: the real binary, real servers, this host's real filesystems.
@Suite("pgsnap check on real servers", .serialized, .integration)
struct CheckCommandTests {
    @Test(arguments: PostgresInstallation.required)
    func reportsTheClusterAndPassesWithoutSnapshots(major: Int) throws {
        try withCluster(major) { cluster in
            let tablespace = try cluster.createTablespace("fast")
            let oid = try cluster.psql("SELECT oid FROM pg_tablespace WHERE spcname = 'fast'")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let run = try Pgsnap.run([
                "check", "--json", "--snapshot", "none", "--target", target,
                "--conninfo", cluster.conninfo,
            ])
            #expect(run.status == 0, "\(run.output)")
            let report = try run.json()
            #expect(report["ok"] as? Bool == true)
            let server = try #require(report["server"] as? [String: Any])
            #expect((server["version_number"] as? Int).map { $0 / 10000 } == major)
            #expect(server["data_directory"] as? String == cluster.dataDirectory)
            #expect((server["system_identifier"] as? String)?.isEmpty == false)
            #expect(server["can_run_backup_functions"] as? Bool == true)
            let directories = try #require(report["directories"] as? [[String: Any]])
            #expect(directories.compactMap { $0["name"] as? String } == ["pg_default", "pg_global", "fast", "pg_wal"])
            let fast = try #require(directories.first { $0["name"] as? String == "fast" })
            #expect(fast["path"] as? String == tablespace)
            #expect((fast["oid"] as? Int).map(String.init) == oid)
            #expect(fast["mount_point"] as? String != nil)
            #expect(fast["filesystem"] as? String != nil)
            #expect(fast["lvm"] is NSNull)
            let targetFacts = try #require(report["target"] as? [String: Any])
            #expect(targetFacts["writable"] as? Bool == true)
            #expect((targetFacts["free_bytes"] as? Int ?? 0) > 0)
        }
    }

    @Test func aRoleWithoutPrivilegesIsRefusedWithEveryReason() throws {
        try withCluster(16) { cluster in
            try cluster.psql("CREATE ROLE plain LOGIN")
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let run = try Pgsnap.run([
                "check", "--json", "--snapshot", "none", "--target", target, "--conninfo",
                "host=\(cluster.socketDirectory) port=\(cluster.port) user=plain dbname=postgres",
            ])
            #expect(run.status == 4, "\(run.output)")
            let codes = (try run.json()["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes == ["data_directory_hidden", "backup_privilege", "replication_privilege"])
        }
    }

    static let kernelHasDeviceMapper =
        (try? String(contentsOfFile: "/proc/devices", encoding: .utf8))?.contains("device-mapper") ?? false

    /// Where the kernel has device-mapper, the VM scenarios cover this path with real LVM instead.
    @Test(.enabled(if: !kernelHasDeviceMapper))
    func lvmModeOnAKernelWithoutDeviceMapperFailsCleanly() throws {
        let controlExisted = FileManager.default.fileExists(atPath: "/dev/mapper/control")
        try withCluster(15) { cluster in
            let target = try TemporaryDirectory.make(prefix: "pgsnap-target-")
            defer { try? FileManager.default.removeItem(atPath: target) }
            let run = try Pgsnap.run(["check", "--snapshot", "lvm", "--target", target, "--conninfo", cluster.conninfo])
            #expect(run.status == 5, "\(run.output)")
            #expect(run.output.contains("no device-mapper"))
            #expect(
                FileManager.default.fileExists(atPath: "/dev/mapper/control") == controlExisted,
                "libdevmapper must not be called on a kernel without device-mapper")
        }
    }

    @Test func unreachableServerExits4() throws {
        let socket = try TemporaryDirectory.make(prefix: "pgsnap-nosrv-")
        defer { try? FileManager.default.removeItem(atPath: socket) }
        let run = try Pgsnap.run([
            "check", "--snapshot", "none", "--target", socket, "--conninfo",
            "host=\(socket) port=9 connect_timeout=2",
        ])
        #expect(run.status == 4)
        #expect(run.output.contains("cannot connect to PostgreSQL"))
    }

    @Test func configurationErrorsExit3NamingFileAndLine() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-conf-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = try Pgsnap.run(["check", "--config", directory + "/absent.conf"])
        #expect(missing.status == 3)
        #expect(missing.output.contains("absent.conf does not exist"))
        let file = directory + "/pgsnap.conf"
        for (text, expected) in [
            ("target = /srv\nsnapshot_sise = 10%\n", "pgsnap.conf:2: unknown setting 'snapshot_sise'"),
            ("json = perhaps\n", "pgsnap.conf:1: invalid value 'perhaps' for 'json'"),
            ("target /srv\n", "pgsnap.conf:1: syntax error"),
        ] {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let run = try Pgsnap.run(["check", "--config", file])
            #expect(run.status == 3, "\(text)")
            #expect(run.output.contains(expected), "\(run.output)")
            #expect(run.output.split(separator: "\n").count == 1, "one line: \(run.output)")
        }
        let password = try Pgsnap.run(["check", "--conninfo", "password=hunter2 host=/tmp"])
        #expect(password.status == 3)
        #expect(!password.output.contains("hunter2"))
    }

    @Test func targetProblemsExit6() throws {
        try withCluster(15) { cluster in
            let missing = try Pgsnap.run([
                "check", "--snapshot", "none", "--target", "/nonexistent/pgsnap",
                "--conninfo", cluster.conninfo,
            ])
            #expect(missing.status == 6, "\(missing.output)")
            #expect(missing.output.contains("/nonexistent/pgsnap does not exist"))
            let inside = try Pgsnap.run([
                "check", "--json", "--snapshot", "none", "--target", cluster.dataDirectory + "/base",
                "--conninfo", cluster.conninfo,
            ])
            #expect(inside.status == 6, "\(inside.output)")
            let codes = (try inside.json()["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.contains("target_inside_cluster"))
        }
    }
}

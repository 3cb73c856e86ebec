import Foundation

/// A PostgreSQL build the integration tests run against: Debian's 15, and 16 and 18 from the
/// PyPI wheels that scripts/install-deps copies to /opt/pgsnap-test.
struct PostgresInstallation: Sendable, CustomStringConvertible {
    let major: Int
    let binDirectory: String

    var description: String { "PostgreSQL \(major)" }

    func tool(_ name: String) -> String { binDirectory + "/" + name }

    /// Every installation present on this machine. `PGSNAP_TEST_PG_BINDIRS` (colon-separated)
    /// replaces the default list.
    static let available: [PostgresInstallation] = {
        let candidates =
            ProcessInfo.processInfo.environment["PGSNAP_TEST_PG_BINDIRS"]?
            .split(separator: ":").map(String.init)
            ?? ["/usr/lib/postgresql/15/bin", "/opt/pgsnap-test/pg16/bin", "/opt/pgsnap-test/pg18/bin"]
        return candidates.compactMap { directory in
            guard FileManager.default.isExecutableFile(atPath: directory + "/postgres"),
                let version = try? Command.output(directory + "/postgres", ["--version"]),
                let major = version.split(separator: " ").last?.split(separator: ".").first.flatMap({ Int($0) })
            else { return nil }
            return PostgresInstallation(major: major, binDirectory: directory)
        }
    }()

    /// The versions the test suite requires; a missing one fails the suite rather than skipping.
    static let required = [15, 16, 18]
}

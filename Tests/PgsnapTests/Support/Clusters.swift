import Testing

/// Finds the installation for a required major version, failing the test if it is missing
/// (scripts/install-deps installs all of them; a missing one is a setup defect, not a skip).
func installation(_ major: Int) throws -> PostgresInstallation {
    try TestTier.requireIntegration("needs PostgreSQL \(major)")
    return try #require(
        PostgresInstallation.available.first { $0.major == major },
        "PostgreSQL \(major) not installed: run scripts/install-deps")
}

/// Runs `body` with a fresh cluster that is destroyed afterwards, whatever happens.
func withCluster<T>(_ major: Int, settings: [String] = [], _ body: (TestCluster) throws -> T) throws -> T {
    let cluster = try TestCluster(try installation(major), settings: settings)
    defer { cluster.destroy() }
    return try body(cluster)
}

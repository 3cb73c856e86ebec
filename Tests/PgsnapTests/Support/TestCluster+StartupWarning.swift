extension TestCluster {
    /// Creates a database whose recorded collation version the C library does not report, as
    /// after an OS upgrade: the server sends `WARNING: database "<name>" has no actual collation
    /// version, but a version was recorded` during every connection's startup. Returns a
    /// conninfo for it. (The cluster's own C locale records no version, so it never warns.)
    func databaseWarningAtConnect(_ name: String = "warns") throws -> String {
        try psql("CREATE DATABASE \(name) TEMPLATE template0 LOCALE 'C.UTF-8'")
        try psql("UPDATE pg_database SET datcollversion = 'bogus' WHERE datname = '\(name)'")
        return "host=\(socketDirectory) port=\(port) user=postgres dbname=\(name)"
    }
}

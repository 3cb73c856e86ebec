extension TestCluster {
    /// Waits until pgsnap's session runs `function` on this server, for at most `seconds`: the
    /// moment a test sends its signal inside a checkpoint or an archive wait.
    func waitUntilPgsnapRuns(_ function: String, within seconds: Double) throws -> Bool {
        try eventually(within: seconds) {
            try psql(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE application_name = 'pgsnap' AND state = 'active' AND query LIKE '%\(function)%'
                """) == "1"
        }
    }
}

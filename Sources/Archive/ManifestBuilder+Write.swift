public import PostgresFormat

/// The manifest's bytes are PostgreSQL's format; putting them on disk is the archive's job
/// (`OutputFile`: a new file, mode 0600, synced), so the format module needs no file I/O of its own.
extension ManifestBuilder {
    /// Writes the manifest to a new file (never over an existing one), mode 0600, and syncs it.
    public func write(walRanges: [WALRange], to path: String) throws(ArchiveError) {
        let file = try OutputFile(creating: RawPath(path))
        do throws(ArchiveError) {
            try file.write(render(walRanges: walRanges))
            try file.finish()
        } catch {
            file.abandon()
            throw error
        }
    }
}

extension Settings {
    /// The run lock every run that changes the target or the storage takes (backup, cleanup,
    /// prune), and that `list` and `check` probe: spelled here only.
    public var lockPath: String { runDirectory + "/pgsnap.lock" }
}

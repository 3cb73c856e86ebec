extension Settings {
    /// The run lock every run that changes the target or the storage takes (backup, cleanup,
    /// prune), and that `list` and `check` probe: spelled here only.
    public var lockPath: String { runDirectory + "/pgsnap.lock" }

    /// The socket a `pgsnap freeze` holder answers `thaw` and `freeze --status` on.
    public var freezeSocketPath: String { runDirectory + "/freeze.sock" }
    /// The holder's state (pid, ID, start, deadline), for a `thaw` that finds the holder dead.
    public var freezeStatePath: String { runDirectory + "/freeze.json" }
}

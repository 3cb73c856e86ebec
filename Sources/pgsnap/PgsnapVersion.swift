import CBuildInfo

/// The release this binary belongs to, recorded in every backup.
///
/// `current` is the one place the version is spelled: scripts/package/build and scripts/install
/// read it from this file, so the .deb, the man pages and `--version` cannot disagree.
enum PgsnapVersion {
    static let current = "0.1.0"

    /// The commit the build was made from, or "unknown commit": PGSNAP_COMMIT in the
    /// environment of `swift build` (Package.swift), so a build without git still works.
    static var commit: String { String(cString: pgsnap_build_commit()) }

    /// What `pgsnap --version` prints: `0.1.0 (commit 1a2b3c4d5e6f)` or
    /// `0.1.0 (unknown commit)`.
    static var description: String {
        let commit = commit
        return commit == "unknown commit" ? "\(current) (\(commit))" : "\(current) (commit \(commit))"
    }
}

public import TargetLayout

extension Interruption {
    /// Throws `interrupted` once a signal arrived; stages call this between steps.
    public static func check() throws(BackupError) {
        if let signal {
            throw BackupError(code: .interrupted, detail: "interrupted by signal \(signal)")
        }
    }
}

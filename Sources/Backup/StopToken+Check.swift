public import TargetLayout

extension StopToken {
    /// Throws `interrupted` once a stop was asked for; stages call this between steps.
    public func check() throws(BackupError) {
        if let signal = signal() {
            throw BackupError(code: .interrupted, detail: "interrupted by signal \(signal)")
        }
    }
}

public import TargetLayout

extension RestoreError {
    /// A stored backup that cannot be opened stops the restore with the same code (and so the
    /// same exit status and hint) it had when restore owned the stored backup itself.
    public init(_ error: LayoutError) {
        let code: Code
        switch error.code {
        case .notFound: code = .notFound
        case .damaged: code = .damaged
        case .target, .write: code = .target
        }
        self.init(code: code, detail: error.detail, underlying: error.underlying, hint: error.specificHint)
    }
}

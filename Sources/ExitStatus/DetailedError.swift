/// A `PgsnapError` made of what pgsnap was doing (`detail`) and, when a library or the kernel
/// said why, its own words (`underlying`), joined into the one-line message the same way for
/// every such error.
public protocol DetailedError: PgsnapError {
    var detail: String { get }
    var underlying: String? { get }
}

extension DetailedError {
    public var message: String {
        guard let underlying, !underlying.isEmpty else { return detail }
        return "\(detail): \(underlying)"
    }
}

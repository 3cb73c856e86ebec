/// Why a member name cannot be extracted.
public struct RefusedPath: Error, Sendable {
    public var reason: String
}

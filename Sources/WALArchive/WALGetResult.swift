/// What one archive-get did besides writing %p, for its debug log and the tests: whether the
/// spool served the file, which spool entries it removed as damaged, how many segments it
/// fetched ahead.
public struct WALGetResult: Sendable, Equatable {
    public var servedFromSpool = false
    /// A line per spool entry that did not match the archive and was fetched again instead.
    public var discarded: [String] = []
    public var prefetched = 0
    public var spool: String?

    public init() {}
}

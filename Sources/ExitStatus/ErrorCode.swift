/// A failure's stable, machine-readable name, `<domain>.<name>`: `backup.lock_busy`,
/// `restore.live_cluster`, `catalog.other_cluster`. Finer than the exit status, it is what a
/// script branches on in a `--json` error (docs/exit-codes.md) and what a log search keys on.
///
/// A struct rather than one enum of every failure (as swift-nio's and swift-subprocess's
/// error codes are): a new failure is a new value, so adding one never breaks a caller's
/// exhaustive switch, and each module names its own codes without a central list.
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible, Encodable {
    /// The module that raised it: `backup`, `restore`, `catalog`, `postgres`, …
    public let domain: String
    /// The failure within the domain, snake_case.
    public let name: String

    public init(_ domain: String, _ name: String) {
        self.domain = domain
        self.name = name
    }

    /// `name` from a Swift case name: `otherCluster` becomes `other_cluster`.
    public init(_ domain: String, caseName: String) {
        var snake = ""
        for character in caseName {
            if character.isUppercase {
                if !snake.isEmpty { snake += "_" }
                snake += character.lowercased()
            } else {
                snake.append(character)
            }
        }
        self.init(domain, snake)
    }

    public var description: String { domain + "." + name }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

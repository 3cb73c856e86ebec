import Foundation
import Testing

/// Which kind of tests this process runs: `PGSNAP_TEST_TIER` (unit, integration or all; unset
/// means all, so a plain `swift test` runs everything as before). scripts/test sets it.
///
/// A suite says what it needs on its `@Suite` line: `.unit` (no root, no PostgreSQL, no
/// devices) or `.integration` (a real server, root, loop devices, mounts, other users); a mixed
/// suite stays unmarked and marks its integration tests. Unmarked tests run in every tier, so
/// a forgotten mark never drops a test, and in the unit tier the support code below refuses
/// what only integration tests may do, so a forgotten `.integration` fails loudly there.
enum TestTier: String, Sendable {
    case unit, integration, all

    static let current: TestTier = {
        guard let value = ProcessInfo.processInfo.environment["PGSNAP_TEST_TIER"], !value.isEmpty else { return .all }
        guard let tier = TestTier(rawValue: value) else {
            preconditionFailure("PGSNAP_TEST_TIER=\(value): expected unit, integration or all")
        }
        return tier
    }()

    /// What the unit tier refuses, as one line that says how to fix the test.
    struct Refusal: Error, CustomStringConvertible {
        let what: String
        var description: String {
            "the unit tier has no root and no PostgreSQL, but this test \(what): mark its suite (or the test) .integration"
        }
    }

    /// Throws in the unit tier: called by every support function that needs root or a server.
    static func requireIntegration(_ what: @autoclosure () -> String) throws(Refusal) {
        if current == .unit { throw Refusal(what: what()) }
    }
}

extension Trait where Self == ConditionTrait {
    /// Needs no root, no PostgreSQL and no devices: runs in the unit and all tiers.
    static var unit: Self {
        .enabled(if: TestTier.current != .integration, "a unit test: scripts/test unit")
    }

    /// Needs root, a real PostgreSQL server, a loop device, a mount or another user: runs in the
    /// integration and all tiers.
    static var integration: Self {
        .enabled(if: TestTier.current != .unit, "needs root and PostgreSQL: scripts/test integration")
    }
}

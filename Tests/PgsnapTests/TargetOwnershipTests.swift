import Catalog
import Foundation
import Testing

@testable import Preflight

/// `check`'s view of the binding, without a server: the problems a backup of `cluster` meets.
@Suite("Target ownership", .unit)
struct TargetOwnershipTests {
    @Test func anotherClusterIsAProblemWithExit6TheSameClusterIsNot() throws {
        let fixture = try TargetFixture()
        #expect(TargetOwnership.problems(target: fixture.target, cluster: "1").isEmpty, "unbound, empty: any cluster")
        try fixture.complete(daysAgo: 1)
        let inferred = TargetOwnership.problems(target: fixture.target, cluster: "1")
        #expect(inferred.map(\.code) == ["target_other_cluster"], "existing backups decide before any binding")
        try fixture.bind()
        #expect(TargetOwnership.problems(target: fixture.target, cluster: TargetFixture.systemIdentifier).isEmpty)
        let other = try #require(TargetOwnership.problems(target: fixture.target, cluster: "7400000000000000001").first)
        #expect(other.code == "target_other_cluster")
        #expect(other.exitStatus == .target)
        #expect(
            other.message.contains("holds the backups of cluster \(TargetFixture.systemIdentifier)"), "\(other.message)"
        )
        #expect(other.message.contains("use another target"), "\(other.message)")
    }
}

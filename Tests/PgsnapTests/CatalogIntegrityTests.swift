import Catalog
import ExitStatus
import Foundation
import Testing

@testable import Backup
@testable import Restore
@testable import TargetLayout

/// What the catalog must never believe: a damaged record, a record whose checksum line was
/// removed after the target was bound, a binding someone else owns, and `latest` in a target
/// of two clusters.
@Suite("Catalog integrity")
struct CatalogIntegrityTests {
    private func editOwner(_ fixture: TargetFixture, _ id: String, seal: RecordEditing.Seal) throws {
        try RecordEditing.edit(fixture.target + "/" + id + "/backup.json", seal: seal) {
            $0["data_directory_owner"] = 1
        }
    }

    private func keepLast(_ count: Int, _ fixture: TargetFixture) throws -> PrunePlan {
        try Pruner.plan(
            try fixture.catalog(), policy: try #require(RetentionPolicy(keepLast: count, keepDays: nil)),
            now: fixture.now)
    }

    /// A newest backup whose record fails its checksum is neither `latest` nor the one
    /// keep_last counts: the good older one stays, and so does the damaged one, as evidence,
    /// until a newer complete backup exists.
    @Test func aDamagedBackupIsNeverLatestNorCountedByRetention() throws {
        let fixture = try TargetFixture()
        let good = try fixture.complete(daysAgo: 3)
        let damaged = try fixture.complete(daysAgo: 2)
        try editOwner(fixture, damaged, seal: .stale)
        let catalog = try fixture.catalog()
        #expect(catalog.entries.map(\.status) == [.damaged, .complete])
        #expect(catalog.entries.map(\.restorable) == [false, true])
        #expect(try catalog.completeBackup("latest").id == good)
        let refused = #expect(throws: CatalogError.self) { try catalog.completeBackup(damaged) }
        #expect(refused?.message.contains("fails its checksum") == true, "\(refused?.message ?? "")")
        let plan = try keepLast(1, fixture)
        #expect(plan.removed.isEmpty, "the good backup is the newest complete one: \(plan.removed.map(\.id))")

        let newer = try fixture.complete(daysAgo: 1)
        let later = try keepLast(1, fixture)
        #expect(later.removed.map(\.id) == [damaged, good])
        #expect(later.kept.map(\.id) == [newer])
    }

    /// Removing the checksum line makes a record look like an older pgsnap's; in a target bound
    /// before the backup ended (bindings and checksums came in the same version) it is damaged,
    /// for the catalog (list, info, latest) and for restore and verify's record check alike.
    /// Without a binding, or with one made after the backup ended, it is still an older pgsnap's.
    @Test func aRecordWithoutChecksumInATargetBoundBeforeItIsDamaged() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let good = try fixture.complete(daysAgo: 2)
        let stripped = try fixture.complete(daysAgo: 1)
        try editOwner(fixture, stripped, seal: .none)
        let catalog = try fixture.catalog()
        #expect(catalog.entries.map(\.status) == [.damaged, .complete])
        #expect(try catalog.completeBackup("latest").id == good)
        let refused = #expect(throws: LayoutError.self) {
            try StoredBackup.readCheckedRecord(directory: fixture.target + "/" + stripped, id: stripped)
        }
        #expect(refused?.code == .damaged)
        #expect(refused?.message.contains("no checksum") == true, "\(refused?.message ?? "")")
        #expect(
            try StoredBackup.resolve(stripped, in: fixture.target) == stripped,
            "named by its ID, it is opened so the record check can say what is wrong")
        #expect(try StoredBackup.resolve("latest", in: fixture.target) == good)

        // Without a binding, or with one made after the backup ended, it is an older pgsnap's.
        let unbound = try TargetFixture()
        let old = try unbound.complete(daysAgo: 1)
        try editOwner(unbound, old, seal: .none)
        #expect(try unbound.catalog().entries.map(\.status) == [.complete])
        #expect(try StoredBackup.readCheckedRecord(directory: unbound.target + "/" + old, id: old).checksum == .absent)
        let later = try TargetFixture()
        let before = try later.complete(daysAgo: 40)
        try editOwner(later, before, seal: .none)
        try later.bind()
        #expect(try later.catalog().entries.map(\.status) == [.complete], "bound 30 days ago, after the backup ended")
    }

    @Test func infoAndListRefuseARecordWhoseChecksumLineWasRemoved() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let stripped = try fixture.complete(daysAgo: 1)
        try editOwner(fixture, stripped, seal: .none)
        let arguments = ["--target", fixture.target, "--run-directory", fixture.runDirectory]
        let info = try Pgsnap.run(["info", stripped] + arguments)
        #expect(info.status == 9, "\(info.output)")
        #expect(info.lines(naming: "pgsnap: ").contains { $0.contains("no checksum") }, "\(info.output)")
        let rows = try #require(try Pgsnap.run(["list", "--json"] + arguments).json()["backups"] as? [[String: Any]])
        #expect(rows.map { $0["status"] as? String } == ["damaged"])
        #expect(rows.map { $0["restorable"] as? Bool } == [false])
        let verify = try Pgsnap.run(["verify", stripped] + arguments)
        #expect(verify.status == 9, "\(verify.output)")
        #expect(verify.output.contains("no checksum"), "\(verify.output)")
    }

    /// prune holds the run lock itself: a crashed run's `.partial` must not look running to it.
    @Test func pruneRemovesACrashedPartialOlderThanTheNewestCompleteBackup() throws {
        let fixture = try TargetFixture()
        let crashed = try fixture.partial(
            daysAgo: fixture.now.timeIntervalSince(Date(timeIntervalSince1970: 1_590_000_000)) / 86400)
        #expect(crashed.hasPrefix("2020"))
        let complete = try fixture.complete(daysAgo: 1)
        let run = try Pgsnap.run([
            "prune", "--keep-last", "1", "--json", "--target", fixture.target,
            "--run-directory", fixture.runDirectory,
        ])
        #expect(run.status == 0, "\(run.output)")
        #expect(try run.json()["removed"] as? [[String: String]] == [["id": crashed, "status": "partial"]])
        #expect(try fixture.names() == [complete])
    }

    // MARK: - Two clusters in one target

    /// `restore latest --target-time` in a target of two clusters, bound to none, is refused
    /// like a plain `restore latest`, with the catalog's hint, never resolved to whichever
    /// cluster took the newest backup.
    @Test func latestWithARecoveryTargetInAMixedTargetIsRefused() throws {
        let fixture = try TargetFixture()
        let own = try fixture.complete(daysAgo: 2)
        try fixture.complete(daysAgo: 1, systemIdentifier: "7400000000000000001")
        let refused = #expect(throws: RestoreError.self) {
            try BaseBackupChoice.candidates(in: fixture.target, for: "latest")
        }
        #expect(refused?.exitStatus == .target)
        #expect(refused?.message.contains("several clusters") == true, "\(refused?.message ?? "")")
        let mixedHint = CatalogError.mixedClusters(target: "", systemIdentifiers: []).hint
        #expect(refused?.hint == mixedHint)
        #expect(
            try BaseBackupChoice.candidates(in: fixture.target, for: own).count == 2, "an explicit ID needs no owner")

        let plain = #expect(throws: LayoutError.self) { try StoredBackup.resolve("latest", in: fixture.target) }
        #expect(plain?.exitStatus == .target)
        #expect(plain?.hint == mixedHint, "not 'check the target's path and permissions'")
    }

    // MARK: - The binding file

    /// Only this user or root may own `pgsnap.target`: another user who owns it may rewrite it
    /// whatever its mode.
    @Test(.integration) func aBindingOwnedByAnotherUserIsRefused() throws {
        let fixture = try TargetFixture()
        try fixture.bind()
        let path = fixture.target + "/" + TargetBinding.fileName
        let other: uid_t = geteuid() == 0 ? 4321 : 0
        try #require(geteuid() == 0, "changing a file's owner needs root")
        try #require(chown(path, other, gid_t(other)) == 0)
        let refused = #expect(throws: CatalogError.self) { try TargetBinding.read(target: fixture.target) }
        #expect(refused?.exitStatus == .target)
        #expect(refused?.message.contains("owned by uid \(other)") == true, "\(refused?.message ?? "")")
        try #require(chown(path, geteuid(), getegid()) == 0)
        #expect(try TargetBinding.read(target: fixture.target)?.systemIdentifier == TargetFixture.systemIdentifier)
    }

    /// A writer killed between writing its temporary file and linking it leaves
    /// `pgsnap.target.<pid>.tmp`; the next binding removes such files once they are stale, and
    /// leaves a fresh one (another host's writer at work) and anything not of that form alone.
    @Test func bindingRemovesStaleTemporaryFiles() throws {
        let fixture = try TargetFixture()
        let stale = fixture.target + "/pgsnap.target.4242.tmp"
        let fresh = fixture.target + "/pgsnap.target.4343.tmp"
        let other = fixture.target + "/pgsnap.target.notes.tmp"
        for path in [stale, fresh, other] { try Data("{}".utf8).write(to: URL(fileURLWithPath: path)) }
        let old = Date().addingTimeInterval(-2 * TargetBinding.staleTemporarySeconds)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: stale)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: other)
        try fixture.bind()
        #expect(try fixture.names() == [TargetBinding.fileName, "pgsnap.target.4343.tmp", "pgsnap.target.notes.tmp"])
    }

    // MARK: - Leftovers of other hosts

    /// A run removes only the `.partial` directories of its own host: those whose marker names
    /// it, and unmarked ones (an older pgsnap's) older than a day; another host's, and a young
    /// unmarked one, stay.
    @Test func onlyThisHostsPartialsAreRemovedAsLeftovers() throws {
        let fixture = try TargetFixture()
        let own = try fixture.partial(daysAgo: 0.5)
        let elsewhere = try fixture.partial(daysAgo: 0.4)
        let marker = fixture.target + "/" + elsewhere + ".partial/" + Leftovers.runMarker
        try FileManager.default.removeItem(atPath: marker)
        try Data("host=db2.example\npid=77\n".utf8).write(to: URL(fileURLWithPath: marker))
        let youngUnmarked = BackupID.make(at: fixture.date(daysAgo: 0.3))
        let oldUnmarked = BackupID.make(at: fixture.date(daysAgo: 3))
        for id in [youngUnmarked, oldUnmarked] { try fixture.makeDirectory(fixture.target + "/" + id + ".partial") }
        try FileManager.default.setAttributes(
            [.modificationDate: fixture.date(daysAgo: 3)],
            ofItemAtPath: fixture.target + "/" + oldUnmarked + ".partial")
        let now = Date()
        var logged: [String] = []
        let removed = Leftovers.removePartialBackups(in: fixture.target, now: now) { logged.append($0) }
        #expect(
            Set(removed) == [fixture.target + "/" + own + ".partial", fixture.target + "/" + oldUnmarked + ".partial"])
        #expect(logged.contains { $0.contains(elsewhere) && $0.contains("db2.example") }, "\(logged)")
        #expect(logged.contains { $0.contains(youngUnmarked) && $0.contains("younger than a day") }, "\(logged)")
        let later = Leftovers.removePartialBackups(in: fixture.target, now: now.addingTimeInterval(2 * 86_400)) { _ in }
        #expect(later == [fixture.target + "/" + youngUnmarked + ".partial"], "unmarked, it goes once it is a day old")
        #expect(try fixture.names() == [elsewhere + ".partial"], "another host's partial is never this run's to remove")
    }
    /// A `.partial` is never seen without its marker: it is made and marked under a hidden
    /// staging name first. A run killed before the rename leaves the staging directory, which
    /// only its own host removes; another host's stays (it may be creating it right now).
    @Test func aPartialIsMarkedFromItsFirstInstantAndAKilledStagingIsSwept() throws {
        let fixture = try TargetFixture()
        let id = BackupID.make(at: fixture.date(daysAgo: 0.1))
        let partial = try Leftovers.createPartial(in: fixture.target, id: id)
        #expect(Leftovers.markerHost(partial + "/" + Leftovers.runMarker) == Leftovers.hostName())
        #expect(try fixture.names() == [id + ".partial"], "no staging directory stays behind")
        #expect(throws: BackupError.self, "an existing .partial is never replaced") {
            try Leftovers.createPartial(in: fixture.target, id: id)
        }
        #expect(try fixture.names() == [id + ".partial"])

        let killed = BackupID.make(at: fixture.date(daysAgo: 0.2))
        let own = Leftovers.stagingName(id: killed, host: Leftovers.hostName())
        let other = Leftovers.stagingName(id: killed, host: "db2.example")
        let hostile = Leftovers.stagingPrefix + "not-an-id." + Leftovers.safeHost(Leftovers.hostName())
        for name in [own, other, hostile] { try fixture.makeDirectory(fixture.target + "/" + name) }
        #expect(Leftovers.stagingName(id: killed, host: "a/b\n c") == Leftovers.stagingPrefix + killed + ".a_b__c")
        var logged: [String] = []
        let removed = Leftovers.removePartialBackups(in: fixture.target) { logged.append($0) }
        #expect(removed.contains(fixture.target + "/" + own), "\(logged)")
        #expect(try fixture.names() == [other, hostile].sorted(), "another host's staging and a foreign name stay")
    }
}

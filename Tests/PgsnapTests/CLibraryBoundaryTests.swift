import Foundation
import Testing

/// Each C library has one Swift owner, and the C shims are split by the library they need, so
/// checksum, backup and restore code never compiles against libdevmapper.
@Suite("C libraries: one owner each", .unit)
struct CLibraryBoundaryTests {
    /// The modules whose files import `module`, from the `Sources/<Module>/...` paths.
    private func importers(of module: String) throws -> Set<String> {
        try SourceFiles.modules(containing: "import \(module)\n")
    }

    @Test func onlyStorageTalksToLibdevmapperAndLiblvm2() throws {
        #expect(try importers(of: "CDeviceMapper") == ["Storage"])
        #expect(try importers(of: "CDeviceMapperShims") == ["Storage"])
        #expect(try importers(of: "CLVM2Cmd") == ["Storage"])
    }

    @Test func checksumsAndSystemShimsStayWithTheirUsers() throws {
        // The checksums are PostgreSQL's formats (manifest, WAL page CRCs); the signal and file
        // shims serve the target's durable writes and interruption flag, backup and restore.
        #expect(try importers(of: "CChecksums") == ["PostgresFormat"])
        #expect(try importers(of: "CSystemShims").isSubset(of: ["TargetLayout", "Backup", "Restore"]))
    }
}

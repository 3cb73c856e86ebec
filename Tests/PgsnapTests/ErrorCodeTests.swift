import Catalog
import Configuration
import ExitStatus
import Foundation
import PostgresClient
import Testing

@testable import Backup

/// Every error carries a stable `<domain>.<name>` code that `--json` errors print and scripts
/// branch on (docs/exit-codes.md): the errors' case names in snake_case.
@Suite("error codes", .unit)
struct ErrorCodeTests {
    @Test func namesAreTheCasesInSnakeCase() {
        #expect(ErrorCode("catalog", caseName: "otherCluster").description == "catalog.other_cluster")
        #expect(ErrorCode("backup", caseName: "lock_busy").description == "backup.lock_busy", "raw values stay")
        #expect(
            CatalogError.otherCluster(target: "/t", owner: "1", cluster: "2").errorCode
                == ErrorCode("catalog", "other_cluster"), "a case with values")
        #expect(CatalogError.noTarget.errorCode.description == "catalog.no_target", "and one without")
        #expect(ConfigurationError.passwordInArguments.errorCode.description == "configuration.password_in_arguments")
        #expect(
            PostgresError(code: .connectionFailed, libpqMessage: "x").errorCode.description
                == "postgres.connection_failed")
        #expect(
            BackupError(code: .archiveTimeout, detail: "d", underlying: nil).errorCode.description
                == "backup.archive_timeout")
    }

    @Test func aCodeIsOneJSONString() throws {
        let data = try JSONOutput.encoder().encode(["code": ErrorCode("restore", "in_use")])
        #expect(String(decoding: data, as: UTF8.self).contains(#""code" : "restore.in_use""#))
    }

    /// The executable's JSON error object, byte for byte, with its code.
    @Test func theJSONErrorIsTheGoldenOne() throws {
        let run = try Pgsnap.run(["list", "--json", "--target", "/nonexistent/pgsnap-golden"])
        #expect(run.status == 6, "\(run.output)")
        try Golden.check(run.stdout, against: "error.json")
    }
}

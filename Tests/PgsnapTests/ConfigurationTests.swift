import Foundation
import Testing

@testable import Configuration

@Suite("Configuration file and flags", .unit)
struct ConfigurationTests {
    @Test func parsesPostgresqlConfSyntax() throws {
        let file = try ConfigFile.parse(
            """
            # a comment
            conninfo = 'host=/run/postgresql user=backup dbname=postgres'   # trailing comment
            target=/srv/backups
            snapshot = lvm
            snapshot_size = '25%'
            json = off
            log_level = info
            """, path: "/etc/pgsnap/pgsnap.conf")
        let settings = try Settings.resolve(file: file, overrides: [:])
        #expect(settings.conninfo == "host=/run/postgresql user=backup dbname=postgres")
        #expect(settings.target == "/srv/backups")
        #expect(settings.snapshot == .lvm)
        #expect(settings.snapshotSize == .percentOfOrigin(25))
        #expect(settings.logLevel == .info)
        #expect(file.entries.map(\.line) == [2, 3, 4, 5, 6, 7])
    }

    @Test func quotedValuesKeepDoubledQuotes() throws {
        let file = try ConfigFile.parse("conninfo = 'application_name=''it''s'''", path: "f")
        #expect(file.entries.first?.value == "application_name='it's'")
    }

    @Test func flagsOverrideTheFile() throws {
        let file = try ConfigFile.parse("target = /a\nsnapshot = lvm\n", path: "f")
        let settings = try Settings.resolve(file: file, overrides: [.target: "/b", .snapshot: "none"])
        #expect(settings.target == "/b")
        #expect(settings.snapshot == SnapshotMode.none)
    }

    @Test func syntaxErrorNamesFileAndLine() {
        #expect(throws: ConfigurationError.syntax(path: "/x.conf", line: 2, detail: "expected '=' after 'target'")) {
            try ConfigFile.parse("json = on\ntarget /srv\n", path: "/x.conf")
        }
        #expect(throws: ConfigurationError.syntax(path: "/x.conf", line: 1, detail: "unterminated quoted string")) {
            try ConfigFile.parse("conninfo = 'host=x", path: "/x.conf")
        }
    }

    @Test func unknownKeyIsRejectedWithASuggestion() throws {
        let file = try ConfigFile.parse("\ntargte = /srv\n", path: "/x.conf")
        let error = #expect(throws: ConfigurationError.self) { try Settings.resolve(file: file, overrides: [:]) }
        #expect(error == .unknownKey(origin: .file(path: "/x.conf", line: 2), key: "targte", suggestion: "target"))
        #expect(error?.message == "/x.conf:2: unknown setting 'targte'")
        #expect(error?.hint == "did you mean 'target'?")
        #expect(error?.exitStatus == .configuration)
    }

    @Test(arguments: [
        ("snapshot", "zfs"), ("snapshot_size", "0%"), ("snapshot_size", "150%"), ("snapshot_size", "12parsecs"),
        ("json", "maybe"), ("target", "relative/dir"), ("log_level", "loud"), ("conninfo", "host"),
        ("wal_archive_timeout", "0"), ("wal_archive_timeout", "86401"), ("wal_archive_timeout", "1.5"),
        ("max_rate", "16K"), ("max_rate", "1T"), ("max_rate", "fast"), ("max_rate", "-5M"), ("max_rate", "nanM"),
    ])
    func wrongTypesAreRejectedWithTheirLine(key: String, value: String) throws {
        let file = try ConfigFile.parse("# header\n\(key) = '\(value)'\n", path: "/c")
        let error = #expect(throws: ConfigurationError.self) { try Settings.resolve(file: file, overrides: [:]) }
        guard case .invalidValue(let origin, let reportedKey, let reportedValue, _) = error else {
            Issue.record("expected invalidValue, got \(String(describing: error))")
            return
        }
        #expect(origin == .file(path: "/c", line: 2))
        #expect(reportedKey == key)
        #expect(reportedValue == value)
    }

    @Test func duplicateKeysAreRejected() {
        #expect(throws: ConfigurationError.duplicateKey(path: "/c", line: 3, key: "target", firstLine: 1)) {
            try ConfigFile.parse("target = /a\n\ntarget = /b\n", path: "/c")
        }
    }

    @Test func passwordOnTheCommandLineIsRefused() {
        #expect(throws: ConfigurationError.passwordInArguments) {
            try Settings.resolve(file: nil, overrides: [.conninfo: "host=/tmp password=secret"])
        }
        #expect(throws: ConfigurationError.passwordInArguments) {
            try Settings.resolve(file: nil, overrides: [.conninfo: "postgresql://u:secret@localhost/db"])
        }
    }

    @Test func passwordInAFileOthersCanReadIsRefused() throws {
        let readable = try ConfigFile.parse("conninfo = 'password=secret'", path: "/c", mode: 0o644)
        #expect(throws: ConfigurationError.passwordInReadableFile(path: "/c", mode: "644")) {
            try Settings.resolve(file: readable, overrides: [:])
        }
        let privateFile = try ConfigFile.parse("conninfo = 'password=secret'", path: "/c", mode: 0o600)
        #expect(try Settings.resolve(file: privateFile, overrides: [:]).conninfo == "password=secret")
    }

    @Test func missingFileAndItsMode() throws {
        #expect(throws: ConfigurationError.fileNotFound(path: "/nonexistent/pgsnap.conf")) {
            try ConfigFile.load(path: "/nonexistent/pgsnap.conf")
        }
        let path = NSTemporaryDirectory() + "/pgsnap-conf-\(getpid())"
        defer { unlink(path) }
        _ = FileManager.default.createFile(
            atPath: path, contents: Data("target = /srv\n".utf8),
            attributes: [.posixPermissions: 0o640])
        let file = try ConfigFile.load(path: path)
        #expect(file.mode == 0o640)
        #expect(file.entries == [ConfigFile.Entry(key: "target", value: "/srv", line: 1)])
    }

    @Test func snapshotSizes() {
        #expect(SnapshotSize(parsing: "20%") == .percentOfOrigin(20))
        #expect(SnapshotSize(parsing: "10G") == .bytes(10 << 30))
        #expect(SnapshotSize(parsing: "512MiB") == .bytes(512 << 20))
        #expect(SnapshotSize(parsing: "1.5T") == .bytes(UInt64(1.5 * Double(1 << 40))))
        #expect(SnapshotSize(parsing: "100") == nil)  // bytes below 1 MiB are surely a mistake
        #expect(SnapshotSize.percentOfOrigin(10).bytes(forOrigin: 1000) == 100)
    }

    @Test func walArchiveTimeoutDefaultsToAMinute() throws {
        #expect(try Settings.resolve(file: nil, overrides: [:]).walArchiveTimeout == 60)
        #expect(try Settings.resolve(file: nil, overrides: [.walArchiveTimeout: "3"]).walArchiveTimeout == 3)
        #expect(SettingKey.walArchiveTimeout.flag == "--wal-archive-timeout")
    }

    /// max_rate in bytes per second, powers of 1024, `off` or 0 for no limit.
    @Test func maxRates() throws {
        func rate(_ value: String) throws -> UInt64? {
            try Settings.resolve(file: nil, overrides: [.maxRate: value]).maxRate
        }
        #expect(try Settings.resolve(file: nil, overrides: [:]).maxRate == nil)
        #expect(try rate("50M") == 50 << 20)
        #expect(try rate("64K/s") == 64 << 10)
        #expect(try rate("1.5GB") == UInt64(1.5 * Double(1 << 30)))
        #expect(try rate("32768") == 32768)
        #expect(try rate("off") == nil)
        #expect(try rate("0") == nil)
        #expect(SettingKey.maxRate.flag == "--max-rate")
    }

    @Test func everyKeyHasAFlag() {
        #expect(SettingKey.snapshotSize.flag == "--snapshot-size")
        #expect(SettingKey.allCases.map(\.flag).contains("--conninfo"))
    }
}

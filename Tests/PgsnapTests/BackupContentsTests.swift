import Foundation
import Testing

@testable import Archive
@testable import Backup
@testable import Catalog
@testable import Restore
@testable import TargetLayout
@testable import Verify

/// The rule of what a backup directory may hold and declare, which restore (through
/// `StoredBackup`) and verify (through `BackupVerifier`) both apply, and backup.json's checksum.
@Suite("Backup contents rule and backup.json checksum", .unit)
struct BackupContentsTests {
    static let record = TargetFixture.record(
        id: "20200101T000000Z", label: "nightly", start: Date(timeIntervalSince1970: 1_577_836_800))

    /// Hostile records, each refused by both readers: restore's `StoredBackup.open` and
    /// verify's report, on the same directory.
    @Test(arguments: [
        "oid mismatch", "extra archive", "relative location", "dotdot location", "root owner",
        "bad stop_lsn", "bad segment name", "duplicate archive",
    ])
    func restoreAndVerifyRefuseTheSameHostileRecord(_ attack: String) throws {
        var record = Self.record
        record.volumes.append(
            .init(
                archive: "16384.tar.zst", origin: nil, snapshotType: nil, snapshotBytes: nil,
                peakFillPercent: nil, bytesRead: 1, bytesWritten: 1, files: 1))
        #expect(BackupContents.recordProblems(record).isEmpty)
        #expect(throws: Never.self) { try BackupContents.archives(of: record, in: "/x").get() }
        switch attack {
        case "oid mismatch": record.tablespaces[0].oid = 16385
        case "extra archive":
            record.volumes.append(
                .init(
                    archive: "99999.tar.zst", origin: nil, snapshotType: nil,
                    snapshotBytes: nil, peakFillPercent: nil, bytesRead: 1,
                    bytesWritten: 1, files: 1))
        case "relative location": record.tablespaces[0].location = "../../etc"
        case "dotdot location": record.tablespaces[0].location = "/srv/../etc"
        case "root owner": record.dataDirectoryOwner = 0
        case "bad stop_lsn": record.stopLSN = "tomorrow"
        case "bad segment name": record.walSegments = ["../../etc/passwd"]
        default: record.volumes.append(record.volumes[0])
        }
        let target = try TemporaryDirectory.make(prefix: "pgsnap-contents-")
        defer { try? FileManager.default.removeItem(atPath: target) }
        try FileManager.default.createDirectory(atPath: target + "/" + record.id, withIntermediateDirectories: false)
        try record.encoded().write(to: URL(fileURLWithPath: target + "/" + record.id + "/backup.json"))

        // Restore opens a backup through the layout's StoredBackup and stops with its error.
        #expect(throws: LayoutError.self, "\(attack)") { try StoredBackup.open(target: target, id: record.id) }
        do {
            _ = try StoredBackup.open(target: target, id: record.id)
        } catch {
            #expect(error.code == .damaged, "\(attack): \(error.message)")
            #expect(RestoreError(error).exitStatus == .damaged, "\(attack)")
        }
        let report = try BackupVerifier(target: target).verify(id: record.id)
        #expect(!report.ok)
        #expect(report.problems.first?.kind == .recordInvalid, "\(attack): \(report.problems)")
    }

    @Test func locationsMustBeAbsoluteAndNormalized() {
        for good in ["/srv/fast", "/a b/c"] { #expect(BackupContents.locationProblem(good) == nil, "\(good)") }
        for bad in [
            "", "/", "srv", "../../etc", "/srv/../etc", "/srv/./x", "/srv//x", "/srv/x/", "/a\nb",
            "/" + String(repeating: "a", count: 2000),
        ] {
            #expect(BackupContents.locationProblem(bad) != nil, "\(bad)")
        }
    }

    @Test func theChecksumCoversEveryByteAndIsCheckedWithoutReserialising() throws {
        let sealed = try Self.record.encoded()
        #expect(RecordChecksum.status(of: sealed) == .valid)
        #expect(String(decoding: sealed.prefix(16), as: UTF8.self) == "{\n  \"checksum\" :")
        // Any changed byte after the checksum line fails it, also one that keeps valid JSON.
        var text = String(decoding: sealed, as: UTF8.self)
        text = text.replacingOccurrences(of: "\"data_directory_owner\" : 105", with: "\"data_directory_owner\" : 0")
        #expect(RecordChecksum.status(of: Data(text.utf8)) == .mismatch)
        // Without the checksum line: an older pgsnap's record.
        let unsealed = Data([UInt8(ascii: "{")] + sealed.dropFirst(prefixLength(sealed)))
        #expect(RecordChecksum.status(of: unsealed) == .absent)
        // A checksum key elsewhere claims what it does not prove.
        let elsewhere = Data(
            String(decoding: unsealed, as: UTF8.self)
                .replacingOccurrences(
                    of: "{\n", with: "{\n  \"zzz\" : 1,\n  \"checksum\" : \"\(String(repeating: "0", count: 64))\",\n"
                ).utf8)
        #expect(RecordChecksum.status(of: elsewhere) == .mismatch)
        #expect(try CatalogRecord.decode(sealed).checksum == .valid)
    }

    @Test func decodeErrorsNameTheFileAndTheKey() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: try Self.record.encoded()) as? [String: Any])
        object.removeValue(forKey: "checksum")
        object["stop_lsn"] = 5
        var spaces = object["tablespaces"] as? [[String: Any]] ?? []
        spaces[0]["oid"] = "x"
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try Self.decoder.decode(BackupRecord.self, from: data)
            Issue.record("decoded a record with a number for stop_lsn")
        } catch {
            #expect(
                DecodeFailure.describe(error, file: "backup.json") == "backup.json: key 'stop_lsn': expected a string")
        }
        object["stop_lsn"] = "0/5000028"
        object["tablespaces"] = spaces
        do {
            _ = try Self.decoder.decode(BackupRecord.self, from: try JSONSerialization.data(withJSONObject: object))
            Issue.record("decoded a record with a string OID")
        } catch {
            #expect(
                DecodeFailure.describe(error, file: "backup.json").hasPrefix(
                    "backup.json: key 'tablespaces[0].oid': expected"))
        }
        #expect(
            BackupContents.recordProblems(
                {
                    var record = Self.record
                    record.stopLSN = "x"
                    return record
                }())
                == ["backup.json: key 'stop_lsn': expected a string like 0/5000028, found \"x\""])
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    private func prefixLength(_ sealed: Data) -> Int {
        Array("{\n  \"checksum\" : \"".utf8).count + 64 + 2
    }
}

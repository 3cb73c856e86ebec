import ArgumentParser
import Catalog
import ExitStatus
import Foundation
import TargetLayout

extension PgsnapCommand {
    /// `pgsnap info ID`: one complete backup's record and files.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a complete backup's record (backup.json) and its files.",
            discussion:
                "ID may be 'latest', the newest complete backup. Exit 9 when the backup is missing or not complete.")

        @Argument(help: "A backup ID such as 20261124T213315Z, or 'latest'.")
        var id: String

        @OptionGroup var common: CommonOptions

        func run() throws {
            try Terminal.run(common) { settings in
                let catalog = try CatalogAccess.open(settings)
                let entry = try catalog.completeBackup(id)
                let data = try catalog.recordData(of: entry)
                let files = try catalog.files(of: entry)
                guard var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                    throw CatalogError.notComplete(
                        id: entry.id, status: "unreadable", error: "backup.json is not a JSON object")
                }
                // An edited record is not shown as if it were the backup's.
                let checksum = RecordChecksum.status(of: data)
                if checksum == .mismatch {
                    throw CatalogError.notComplete(
                        id: entry.id, status: "damaged",
                        error:
                            "backup.json fails its checksum: it was edited or damaged after pgsnap wrote it; run 'pgsnap verify \(entry.id)'"
                    )
                }
                object["checksum"] = checksum == .valid ? object["checksum"] : "none (written by an older pgsnap)"
                if settings.json {
                    object["archives"] = files.map { ["name": $0.name, "bytes": $0.bytes] as [String: Any] }
                    let json = try JSONSerialization.data(
                        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                    FileHandle.standardOutput.write(json)
                    print()
                } else {
                    print(CatalogText.info(object, files: files))
                }
            }
        }
    }
}

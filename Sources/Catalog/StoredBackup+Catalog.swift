internal import Foundation
public import TargetLayout

/// Opening a stored backup by the ID a person typed goes through the catalog (`latest`, failed
/// and crashed runs, a mixed target) and the target's binding, which the catalog owns.
extension StoredBackup {
    /// Opens `id` (or `latest`) in `target`: `open(directory:id:boundAt:)` on the backup the
    /// catalog resolves it to.
    public static func open(target: String, id: String) throws(LayoutError) -> StoredBackup {
        let resolved = try resolve(id, in: target)
        return try open(directory: target + "/" + resolved, id: resolved, boundAt: boundAt(target: target))
    }

    /// `readCheckedRecord(directory:id:boundAt:)` with the binding of the target the directory is in.
    public static func readCheckedRecord(directory: String, id: String) throws(LayoutError)
        -> (record: BackupRecord, checksum: RecordChecksum.Status)
    {
        let target = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        return try readCheckedRecord(directory: directory, id: id, boundAt: boundAt(target: target))
    }

    /// The record alone, checked the same way.
    public static func readRecord(directory: String, id: String) throws(LayoutError) -> BackupRecord {
        try readCheckedRecord(directory: directory, id: id).record
    }

    /// The ID of the complete backup `id` names (`latest` included), through the catalog, so a
    /// failed or crashed run (or a mixed target) is refused with what the catalog knows about
    /// it, and its hint.
    public static func resolve(_ id: String, in target: String) throws(LayoutError) -> String {
        do {
            let catalog = try BackupCatalog(target: target, lockPath: nil)
            // A damaged backup named by its ID is opened, so that the record check (restore's
            // refusal, verify's report) says what is wrong with it; `latest` never names one.
            if id != "latest", let entry = try? catalog.entry(id), entry.status == .damaged { return entry.id }
            return try catalog.completeBackup(id).id
        } catch {
            throw LayoutError(
                code: error.exitStatus == .damaged ? .notFound : .target, detail: error.message,
                hint: error.hint)
        }
    }

    /// When the target was bound; nil when it is not, or when its binding cannot be read (the
    /// catalog refuses such a target on its own).
    private static func boundAt(target: String) -> Date? {
        (try? TargetBinding.read(target: target))?.boundAt
    }
}

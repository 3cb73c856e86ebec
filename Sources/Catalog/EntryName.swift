import Foundation

/// A name in the target that belongs to pgsnap: a backup ID, optionally with the suffix that
/// says which stage of its life the directory is in. Anything else in the target is not ours
/// and is never listed or touched.
struct EntryName: Equatable {
    enum Suffix: String {
        case none = ""
        case partial = ".partial"
        case failed = ".failed"
        case removing = ".removing"
    }

    let id: String
    let suffix: Suffix

    init?(_ name: String) {
        for suffix in [Suffix.partial, .failed, .removing] where name.hasSuffix(suffix.rawValue) {
            let id = String(name.dropLast(suffix.rawValue.count))
            guard BackupID.isValid(id) else { return nil }
            self.id = id
            self.suffix = suffix
            return
        }
        guard BackupID.isValid(name) else { return nil }
        id = name
        suffix = .none
    }

    var name: String { id + suffix.rawValue }
}

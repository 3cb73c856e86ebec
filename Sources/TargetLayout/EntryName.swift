/// A name in the target that belongs to pgsnap: a backup ID, optionally with the suffix that
/// says which stage of its life the directory is in. Anything else in the target is not ours
/// and is never listed or touched.
public struct EntryName: Equatable, Sendable {
    public enum Suffix: Sendable, CaseIterable {
        case none, partial, failed, removing

        public var rawValue: String {
            switch self {
            case .none: return ""
            case .partial: return BackupFiles.partialSuffix
            case .failed: return BackupFiles.failedSuffix
            case .removing: return BackupFiles.removingSuffix
            }
        }
    }

    public let id: String
    public let suffix: Suffix

    public init(id: String, suffix: Suffix) {
        self.id = id
        self.suffix = suffix
    }

    public init?(_ name: String) {
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

    public var name: String { id + suffix.rawValue }
}

import Foundation

/// LVM's rules for volume group and logical volume names, checked before a name goes into an
/// `lvm2_run` command line (which LVM splits on whitespace and quotes itself, and where `#`
/// starts a comment).
public enum LVMName {
    static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-")
    static let reservedInfixes = [
        "_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_mimage", "_mlog", "_pmspare",
        "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin", "_wcorig",
    ]

    /// Throws unless `name` is a valid VG or LV name.
    public static func validate(_ name: String, isLogicalVolume: Bool = true) throws(StorageError) {
        func invalid(_ why: String) -> StorageError {
            StorageError(code: .invalidName, detail: "'\(name)' is not a valid LVM name: \(why)")
        }
        guard !name.isEmpty, name.utf8.count <= 127 else { throw invalid("it must have 1 to 127 characters") }
        guard name.allSatisfy(allowed.contains) else {
            throw invalid("it contains a character other than letters, digits and + _ . -")
        }
        guard !name.hasPrefix("-") else { throw invalid("it starts with '-'") }
        guard name != ".", name != ".." else { throw invalid("'.' and '..' are reserved") }
        guard isLogicalVolume else { return }
        if name.hasPrefix("snapshot") || name.hasPrefix("pvmove") { throw invalid("the prefix is reserved by LVM") }
        if let infix = reservedInfixes.first(where: name.contains) { throw invalid("'\(infix)' is reserved by LVM") }
    }

    /// Throws unless `tag` uses only the characters LVM allows in tags.
    public static func validateTag(_ tag: String) throws(StorageError) {
        let allowedTag = allowed.union("/=!:&")
        guard !tag.isEmpty, tag.utf8.count <= 1024, tag.allSatisfy(allowedTag.contains), !tag.hasPrefix("-") else {
            throw StorageError(code: .invalidName, detail: "'\(tag)' is not a valid LVM tag")
        }
    }

    /// The /dev/mapper name of `vg/lv`: each hyphen inside a name doubled, then joined by one.
    public static func deviceMapperName(volumeGroup: String, logicalVolume: String) -> String {
        func escape(_ part: String) -> String { part.replacingOccurrences(of: "-", with: "--") }
        return "\(escape(volumeGroup))-\(escape(logicalVolume))"
    }
}

internal import ExitStatus
internal import Glibc

/// The OS user and group a restored cluster belongs to: PostgreSQL refuses to start on a data
/// directory owned by anyone else.
public struct RestoreOwner: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// `--owner NAME` or `--owner UID`: the user's primary group goes with it.
    public static func resolve(_ text: String) throws(RestoreError) -> RestoreOwner {
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 16384)
        var result: UnsafeMutablePointer<passwd>?
        if let uid = UInt32(text) {
            _ = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
            // A numeric owner without a passwd entry is fine (containers); its group is its uid.
            return result == nil ? RestoreOwner(uid: uid, gid: uid) : RestoreOwner(uid: entry.pw_uid, gid: entry.pw_gid)
        }
        _ = getpwnam_r(text, &entry, &buffer, buffer.count, &result)
        guard result != nil else {
            throw RestoreError(code: .unknownOwner, detail: "--owner \(Echo.value(text)): no such user on this machine")
        }
        return RestoreOwner(uid: entry.pw_uid, gid: entry.pw_gid)
    }
}

public import Foundation
import SystemCalls
import TargetLayout

/// `<target>/pgsnap.target`: the cluster a target belongs to. The first backup writes it, and
/// from then on a backup of any other cluster is refused, so retention, `latest`, verify and
/// restore can never mix two clusters' backups (docs/target.md).
///
/// Only the system identifier decides: a standby of the cluster and a new timeline after a
/// failover keep it, a fresh `initdb` (another cluster, even on the same host) does not.
public struct TargetBinding: Codable, Sendable, Equatable {
    public static let fileName = "pgsnap.target"
    /// A binding is a few lines; anything larger is not one, and is never read whole.
    static let maximumBytes = 4096

    public var systemIdentifier: String
    public var boundAt: Date
    public var pgsnapVersion: String

    public init(systemIdentifier: String, boundAt: Date, pgsnapVersion: String) {
        self.systemIdentifier = systemIdentifier
        self.boundAt = boundAt
        self.pgsnapVersion = pgsnapVersion
    }

    enum CodingKeys: String, CodingKey {
        case systemIdentifier = "system_identifier"
        case boundAt = "bound_at"
        case pgsnapVersion = "pgsnap_version"
    }

    /// PostgreSQL's system identifier is an unsigned 64-bit number, printed in decimal.
    public static func isValidSystemIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 20 && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
            && UInt64(text) != nil
    }

    /// The binding of `target`, nil when it has none. A file that is there but not a binding
    /// (too large, not JSON, a bad identifier, a symlink) is an error, never "unbound": that
    /// would let any cluster take the target over.
    public static func read(target: String) throws(CatalogError) -> TargetBinding? {
        let path = target + "/" + fileName
        guard let (data, info) = try TargetFiles.contentsAndStatus(of: path, limit: maximumBytes) else { return nil }
        // Whoever may write the binding may hand the target to another cluster: only this user
        // (or root) may own it, and nobody else may write it.
        if info.st_uid != geteuid() && info.st_uid != 0 {
            throw .unreadable(
                path: path, reason: "owned by uid \(info.st_uid), neither this user (uid \(geteuid())) nor root")
        }
        if info.st_mode & 0o022 != 0 {
            throw .unreadable(path: path, reason: "writable by group or others (pgsnap writes it with mode 0600)")
        }
        guard let binding = try? RecordCoding.decoder().decode(TargetBinding.self, from: data),
            isValidSystemIdentifier(binding.systemIdentifier)
        else {
            throw .badBinding(path: path)
        }
        return binding
    }

    /// Writes the binding if the target has none yet, durably: a temporary file, fsync'd, then
    /// link(2), which never replaces an existing binding (another host sharing the target may
    /// have bound it meanwhile), then the directory fsync'd. Returns the binding now in force.
    public func write(target: String) throws(CatalogError) -> TargetBinding {
        let path = target + "/" + Self.fileName
        let temporary = path + ".\(getpid()).tmp"
        // backup.json's style (RecordCoding): the binding is a record of the same target.
        guard let data = try? RecordCoding.encoder().encode(self) else {
            throw .bindingFailed(path: path, reason: "cannot encode")
        }
        Self.removeStaleTemporaries(in: target)
        try TargetFiles.writeNew(data + Data("\n".utf8), to: temporary)
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            guard errno == EEXIST else { throw .bindingFailed(path: path, reason: Errno.current.description) }
            guard let existing = try Self.read(target: target) else {
                throw .bindingFailed(path: path, reason: "vanished")
            }
            return existing
        }
        unlink(temporary)
        do {
            try TargetFiles.syncDirectory(target)
        } catch {
            throw .bindingFailed(path: path, reason: error.message)
        }
        return self
    }

    /// How old a `pgsnap.target.<pid>.tmp` must be to be a crashed writer's: writing one takes
    /// milliseconds, and the pid may be another host's, so only the age can tell.
    public static let staleTemporarySeconds: Double = 3600

    /// Removes `pgsnap.target.<pid>.tmp` files a writer killed between write and link left.
    static func removeStaleTemporaries(in target: String, now: Date = Date()) {
        for name in (try? TargetFiles.names(in: target)) ?? [] where isTemporaryName(name) {
            let path = target + "/" + name
            guard let info = TargetFiles.status(path), TargetFiles.isRegularFile(info),
                now.timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > staleTemporarySeconds
            else { continue }
            unlink(path)
        }
    }

    /// `pgsnap.target.<digits>.tmp`, the only names `write(target:)` uses.
    static func isTemporaryName(_ name: String) -> Bool {
        let prefix = fileName + "."
        let suffix = ".tmp"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else {
            return false
        }
        let pid = name.dropFirst(prefix.count).dropLast(suffix.count)
        return pid.count <= 10 && pid.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

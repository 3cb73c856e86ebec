import Foundation

/// A backup directory that passes for one of pgsnap's — backup.json, tablespace and WAL
/// archives of a real backup, a manifest whose checksum is valid and which lists every regular
/// file member with its true size and CRC-32C — but whose base.tar.zst carries hostile members
/// just before `backup_label`, where most of the data directory has already been extracted.
enum HostileBackup {
    enum Attack: String, CaseIterable, CustomStringConvertible, Sendable {
        /// `../escape.txt`
        case parentDirectory
        /// `/tmp/<unique>/abs.txt`
        case absolutePath
        /// `link -> /tmp/<unique>`, then `link/pwned.txt`
        case symlinkThenFileThroughIt
        /// `pg_tblspc/99999 -> ../../outside`, then `pg_tblspc/99999/evil.txt` (99999 is no
        /// tablespace of the backup)
        case tablespaceLinkOutOfTree
        /// a hard link to /etc/passwd
        case hardLinkToSystemFile
        /// a hard link to a file next to the data directory, then a regular member of the same
        /// name, which a careless extractor writes through the link
        case hardLinkThenOverwrite

        var description: String { rawValue }
    }

    /// Where a restore into `pgdata` (with the tablespace relocated to `tablespace`) could be
    /// lured: the directory around the data directory and one unrelated directory in /tmp.
    struct Places {
        /// Parent of `pgdata` and `tablespace`; holds `outside/` and `decoy.txt` too.
        let restoreRoot: String
        /// An empty directory elsewhere in /tmp that absolute members and links aim at.
        let outside: String

        var pgdata: String { restoreRoot + "/pgdata" }
        var tablespace: String { restoreRoot + "/ts" }
        /// Where `pg_tblspc/99999 -> ../../outside` points from inside `pgdata`.
        var besideOutside: String { restoreRoot + "/outside" }
        var decoy: String { restoreRoot + "/decoy.txt" }
        static let decoyContents = "decoy, must stay as it is\n"

        /// Makes the directories and the decoy so that each attack would succeed against an
        /// extractor that follows names blindly.
        static func make() throws -> Places {
            let places = Places(
                restoreRoot: try TemporaryDirectory.make(prefix: "pgsnap-hostile-", owner: TestCluster.user),
                outside: try TemporaryDirectory.make(prefix: "pgsnap-hostile-outside-"))
            try FileManager.default.createDirectory(atPath: places.besideOutside, withIntermediateDirectories: false)
            try decoyContents.write(toFile: places.decoy, atomically: false, encoding: .utf8)
            return places
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: restoreRoot)
            try? FileManager.default.removeItem(atPath: outside)
        }
    }

    static let payload = Array("written by a hostile archive\n".utf8)

    /// The members to splice in, and the regular files among them for the manifest.
    static func members(_ attack: Attack, _ places: Places) -> (
        tar: [UInt8], files: [(path: String, contents: [UInt8])]
    ) {
        switch attack {
        case .parentDirectory:
            return (RawTar.file("../escape.txt", payload), [("../escape.txt", payload)])
        case .absolutePath:
            let path = places.outside + "/abs.txt"
            return (RawTar.file(path, payload), [(path, payload)])
        case .symlinkThenFileThroughIt:
            return (
                RawTar.symlink("link", to: places.outside) + RawTar.file("link/pwned.txt", payload),
                [("link/pwned.txt", payload)]
            )
        case .tablespaceLinkOutOfTree:
            return (
                RawTar.symlink("pg_tblspc/99999", to: "../../outside")
                    + RawTar.file("pg_tblspc/99999/evil.txt", payload),
                [("pg_tblspc/99999/evil.txt", payload)]
            )
        case .hardLinkToSystemFile:
            return (RawTar.hardLink("passwd", to: "/etc/passwd"), [])
        case .hardLinkThenOverwrite:
            return (
                RawTar.hardLink("decoy-link", to: "../decoy.txt") + RawTar.file("decoy-link", payload),
                [("decoy-link", payload)]
            )
        }
    }

    /// Copies the shared real backup into `target` as `id` and plants `attack` in it.
    @discardableResult
    static func make(
        _ attack: Attack, places: Places, from shared: SharedBackup, into target: String,
        as id: String
    ) throws -> String {
        let backup = try shared.copy(into: target, as: id)
        let planted = members(attack, places)
        try BackupTampering.rewrite(backup + "/base.tar.zst") {
            try BackupTampering.insert(planted.tar, before: "backup_label", in: &$0)
        }
        if !planted.files.isEmpty {
            try BackupTampering.addToManifest(backup + "/backup_manifest", files: planted.files)
        }
        return backup
    }
}

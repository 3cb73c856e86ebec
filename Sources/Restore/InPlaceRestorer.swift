internal import Archive
internal import CSystemShims
internal import Catalog
internal import ExitStatus
internal import Foundation
internal import Glibc
internal import PostgresFormat
internal import SystemCalls
public import TargetLayout

/// `pgsnap restore ID --in-place`: a storage system's snapshot, cloned and mounted by the
/// admin, made startable with the `external` record `pgsnap thaw` wrote for it. The clone
/// holds the data; the record holds what the snapshot lacks: `backup_label`, `tablespace_map`
/// and the WAL of the backup-mode window.
///
/// What must not survive into recovery goes first (a stale postmaster.pid, another backup's
/// label, the clone's own WAL, replication slots' state: what pg_basebackup leaves out), then
/// the record's WAL, the map and the recovery settings, `backup_label` last. A restore that
/// stops before that leaves a directory the server refuses to start (its WAL is gone), never
/// one it would start inconsistent.
public final class InPlaceRestorer {
    let request: RestoreRequest
    private let log: (String) -> Void
    private let notice: (String) -> Void
    private let shouldStop: @Sendable () -> Bool

    public init(
        request: RestoreRequest, shouldStop: @escaping @Sendable () -> Bool = { StopToken.signals.isStopped },
        log: @escaping (String) -> Void = { _ in }, notice: ((String) -> Void)? = nil
    ) {
        self.request = request
        self.shouldStop = shouldStop
        self.log = log
        self.notice = notice ?? log
    }

    public func run() throws(RestoreError) -> RestoreResult {
        let started = Date()
        try request.recovery.validate(serverMajorVersion: 0)
        let pgdata = Restorer.followingSymlink(request.dataDirectory)
        let (record, directory) = try openRecord()
        try request.recovery.validate(serverMajorVersion: record.postgresVersionNumber / 10000)
        try checkIdentity(record, pgdata: pgdata)
        let placements = try placeTablespaces(record)
        // Not `pgdata` among the known directories: a clone of a live server's snapshot holds
        // a postmaster.pid naming that (live) server; a server really running in the clone is
        // found through /proc with its own postmaster.pid confirming it.
        let clusters = RunningClusters.scan(known: [record.dataDirectory])
        try refuseRunning(clusters, pgdata: pgdata, placements: placements)
        let owner = try ownerOf(pgdata)
        let walRoot = try walDirectory(pgdata, clusters: clusters, owner: owner)
        try removeStaleState(pgdata, walRoot: walRoot)
        let extracted = try extractWAL(directory, into: walRoot, owner: owner)
        let extractor = try SafeExtractor(rootPath: pgdata, owner: owner)
        try linkTablespaces(placements, pgdata: pgdata, owner: owner)
        let archiveOff = clusters.runsIn(record.dataDirectory) && pgdata != record.dataDirectory
        try finish(
            record, directory: directory, placements: placements, extractor: extractor, archiveOff: archiveOff,
            roots: [pgdata, walRoot] + placements.map(\.location))
        if archiveOff {
            notice(
                "wrote archive_mode = 'off' into postgresql.auto.conf: the original cluster is running in \(record.dataDirectory), and this clone must not archive into its WAL archive"
            )
        }
        log("restored external backup \(record.id) in place in \(pgdata)")
        return RestoreResult(
            id: record.id, pgdata: pgdata, walDirectory: request.walDirectory == nil ? nil : walRoot,
            tablespaces: placements.map {
                .init(oid: $0.tablespace.oid, name: $0.tablespace.name, location: $0.location)
            },
            files: extracted.files, bytes: extracted.bytes, seconds: Date().timeIntervalSince(started),
            recovery: request.recovery.signalFile ?? "none", walSegments: extracted.walFiles.count,
            owner: "\(owner.uid):\(owner.gid)", archiveMode: archiveOff ? .off : .preserve, baseBackupChoice: nil,
            unarchivedWAL: [])
    }

    /// The record, which must be of kind `external`: any other backup holds its data itself.
    private func openRecord() throws(RestoreError) -> (BackupRecord, String) {
        let record: BackupRecord
        let directory: String
        do {
            let id = try StoredBackup.resolve(request.backupID, in: request.target)
            directory = request.target + "/" + id
            record = try StoredBackup.readRecord(directory: directory, id: id)
        } catch {
            throw RestoreError(error)
        }
        guard record.kind == BackupRecord.externalKind else {
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "backup \(record.id) holds its own copy of the data: restore it without --in-place (--in-place is for the records 'pgsnap thaw' writes)"
            )
        }
        return (record, directory)
    }

    /// The directory must be the snapshot of the record's cluster: its PG_VERSION and the
    /// system identifier in global/pg_control.
    private func checkIdentity(_ record: BackupRecord, pgdata: String) throws(RestoreError) {
        func refuse(_ why: String) -> RestoreError {
            RestoreError(
                code: .destination, detail: "\(pgdata) is not a clone of backup \(record.id)'s cluster: \(why)")
        }
        guard case .success(let version) = BoundedFile.read(pgdata + "/PG_VERSION", limit: 64) else {
            throw refuse("it has no readable PG_VERSION")
        }
        let major = String(decoding: version, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard major == String(record.postgresVersionNumber / 10000) else {
            throw refuse("PG_VERSION says \(Echo.value(major)), the backup is of PostgreSQL \(record.postgresVersion)")
        }
        guard case .success(let control) = BoundedFile.read(pgdata + "/global/pg_control", limit: ControlFile.size),
            let identifier = ControlFile.systemIdentifier(control)
        else { throw refuse("global/pg_control is missing or too short") }
        guard record.systemIdentifier == String(identifier) else {
            throw refuse(
                "global/pg_control is of cluster \(identifier), the backup of \(record.systemIdentifier ?? "unknown")")
        }
    }

    /// Each tablespace where the clone of its snapshot is: its original location, or where
    /// `--tablespace` says. It must hold the server's `PG_<major>_<catalog version>` directory.
    private func placeTablespaces(_ record: BackupRecord) throws(RestoreError) -> [Restorer.Placement] {
        var placements = record.tablespaces.map { Restorer.Placement(tablespace: $0, location: $0.location) }
        for mapping in request.tablespaces {
            let index = placements.firstIndex { placement in
                switch mapping.selector {
                case .oid(let oid): return placement.tablespace.oid == oid
                case .name(let name): return placement.tablespace.name == name
                }
            }
            guard let index else {
                throw RestoreError(
                    code: .invalidOption, detail: "--tablespace: backup \(record.id) has no such tablespace")
            }
            placements[index].location = Restorer.followingSymlink(mapping.directory)
        }
        let prefix = "PG_\(record.postgresVersionNumber / 10000)_"
        for placement in placements {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: placement.location)) ?? []
            guard names.contains(where: { $0.hasPrefix(prefix) }) else {
                throw RestoreError(
                    code: .destination,
                    detail:
                        "tablespace \(placement.tablespace.name): \(placement.location) holds no \(prefix)* directory; pass --tablespace \(placement.tablespace.name)=DIR with the clone of its snapshot"
                )
            }
        }
        return placements
    }

    private func refuseRunning(_ clusters: RunningClusters, pgdata: String, placements: [Restorer.Placement])
        throws(RestoreError)
    {
        for path in [pgdata] + placements.map(\.location) {
            if let (use, _) = clusters.conflict(with: path) {
                throw RestoreError(
                    code: .inUse,
                    detail: "a running PostgreSQL server uses \(path) (\(use)): restore --in-place needs it stopped")
            }
        }
    }

    private func ownerOf(_ pgdata: String) throws(RestoreError) -> RestoreOwner {
        var info = stat()
        guard lstat(pgdata, &info) == 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot stat \(pgdata)", underlying: Errno.current.description)
        }
        return RestoreOwner(uid: info.st_uid, gid: info.st_gid)
    }

    /// Where the clone's WAL goes: `pg_wal` itself, or `--waldir` (the clone of a separate
    /// WAL volume), which `pg_wal` then links to. A `pg_wal` that links out of the clone
    /// without `--waldir` is refused: it points at the original's WAL, which must never be
    /// emptied.
    private func walDirectory(_ pgdata: String, clusters: RunningClusters, owner: RestoreOwner) throws(RestoreError)
        -> String
    {
        let link = pgdata + "/pg_wal"
        var info = stat()
        let isLink = lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
        guard let given = request.walDirectory else {
            guard !isLink else {
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? "?"
                throw RestoreError(
                    code: .invalidOption,
                    detail:
                        "pg_wal in \(pgdata) links to \(target), outside the clone (the original's WAL): pass --waldir with the clone of that volume"
                )
            }
            return link
        }
        let waldir = Restorer.followingSymlink(given)
        if let (use, _) = clusters.conflict(with: waldir) {
            throw RestoreError(code: .inUse, detail: "a running PostgreSQL server uses \(waldir) (\(use))")
        }
        var directory = stat()
        guard stat(waldir, &directory) == 0, directory.st_mode & S_IFMT == S_IFDIR else {
            throw RestoreError(code: .destination, detail: "--waldir \(waldir) is not a directory")
        }
        if isLink {
            unlink(link)
        } else {
            // The clone's own pg_wal directory gives way to the link.
            try removeContents(of: link, keepingDirectories: false)
            rmdir(link)
        }
        guard symlink(waldir, link) == 0 else {
            throw RestoreError(
                code: .destination, detail: "cannot link \(link) to \(waldir)", underlying: Errno.current.description)
        }
        _ = lchown(link, owner.uid, owner.gid)
        return waldir
    }

    /// What the running server left in its snapshot and must not survive into recovery.
    private func removeStaleState(_ pgdata: String, walRoot: String) throws(RestoreError) {
        let files = BaseBackupFilter.excludedFileNames.map(\.description) + ["recovery.signal", "standby.signal"]
        for name in files where unlink(pgdata + "/" + name) != 0 && errno != ENOENT {
            throw RestoreError(
                code: .destination, detail: "cannot remove \(pgdata)/\(name)", underlying: Errno.current.description)
        }
        for name in BaseBackupFilter.directoriesKeptEmpty.map(\.description) {
            try removeContents(of: pgdata + "/" + name, keepingDirectories: false)
        }
        try removeContents(of: walRoot, keepingDirectories: true)
        log("removed the clone's postmaster.pid, stale labels, WAL and replication slot state")
    }

    /// Every entry under `directory`; with `keepingDirectories`, subdirectories stay (pg_wal's
    /// archive_status and summaries) but lose their contents.
    private func removeContents(of directory: String, keepingDirectories: Bool) throws(RestoreError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if keepingDirectories && info.st_mode & S_IFMT == S_IFDIR {
                try removeContents(of: path, keepingDirectories: false)
                continue
            }
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw RestoreError(code: .destination, detail: "cannot remove \(path)", underlying: "\(error)")
            }
        }
    }

    private func extractWAL(_ directory: String, into walRoot: String, owner: RestoreOwner) throws(RestoreError)
        -> ArchiveExtraction.Result
    {
        let archive = StoredBackup.Archive(
            name: BackupFiles.walArchive, role: .wal, path: directory + "/" + BackupFiles.walArchive)
        let extraction = ArchiveExtraction(
            archive: archive,
            index: ManifestIndex(BackupManifest(version: 1, systemIdentifier: nil, files: [], walRanges: [])),
            tablespaceOIDs: [], progress: ArchiveProgress(), shouldStop: shouldStop)
        return try extraction.run(into: try SafeExtractor(rootPath: walRoot, owner: owner))
    }

    /// A relocated tablespace's `pg_tblspc/<oid>` link points at its clone (recovery also
    /// recreates the links from `tablespace_map`, written below with the same locations).
    private func linkTablespaces(_ placements: [Restorer.Placement], pgdata: String, owner: RestoreOwner)
        throws(RestoreError)
    {
        for placement in placements where placement.location != placement.tablespace.location {
            let link = pgdata + "/pg_tblspc/\(placement.tablespace.oid)"
            unlink(link)
            guard symlink(placement.location, link) == 0 else {
                throw RestoreError(
                    code: .destination, detail: "cannot link \(link) to \(placement.location)",
                    underlying: Errno.current.description)
            }
            _ = lchown(link, owner.uid, owner.gid)
        }
    }
}

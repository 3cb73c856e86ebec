internal import Archive
internal import CSystemShims
internal import Foundation
internal import Glibc
internal import PostgresFormat
internal import SystemCalls
public import TargetLayout

/// Restores one backup into a data directory and tablespace locations, in named stages.
///
/// The order is what makes a restore trustworthy: every archive is read and checked against the
/// manifest while it is extracted; only when all of them are in place and synced are
/// `global/pg_control`, the recovery settings and, last, `backup_label` written. A restore that
/// stops anywhere before that removes what it wrote, so a directory that looks like a cluster
/// is always a complete one.
public final class Restorer {
    public private(set) var request: RestoreRequest
    /// Progress lines for a terminal; nil when nobody watches.
    public var onProgress: (@Sendable (String) -> Void)?
    private let log: (String) -> Void
    /// What the user must know about a decision pgsnap took for them (the base backup chosen
    /// for a target, archive_mode turned off, unarchived WAL kept aside).
    private let notice: (String) -> Void
    private var archiveMode: ArchiveMode = .preserve
    private let shouldStop: @Sendable () -> Bool
    private var destinations: [RestoreDestination] = []

    public init(
        request: RestoreRequest, shouldStop: @escaping @Sendable () -> Bool = { StopToken.signals.isStopped },
        log: @escaping (String) -> Void = { _ in }, notice: ((String) -> Void)? = nil
    ) {
        self.request = request
        self.shouldStop = shouldStop
        self.log = log
        self.notice = notice ?? log
    }

    /// A tablespace and where it is restored.
    struct Placement {
        var tablespace: BackupRecord.Tablespace
        var location: String
    }

    public func run() throws(RestoreError) -> RestoreResult {
        let started = Date()
        // Everything about the options first, before the target is even read.
        try request.recovery.validate(serverMajorVersion: 0)
        request.dataDirectory = Self.followingSymlink(request.dataDirectory)
        request.walDirectory = request.walDirectory.map(Self.followingSymlink)
        let choice = try chooseBaseBackup()
        let backup = try openBackup()
        let placements = try placeTablespaces(backup)
        let owner = try resolveOwner(backup)
        try request.recovery.validate(serverMajorVersion: backup.record.postgresVersionNumber / 10000)
        let clusters = RunningClusters.scan(known: [request.dataDirectory, backup.record.dataDirectory])
        try refuseDirectoriesInUse(placements, clusters: clusters)
        archiveMode = decideArchiveMode(backup, clusters: clusters)
        do {
            try prepareDestinations(placements, owner: owner)
            let kept = destinations.compactMap(\.keptUnarchivedWAL)
            let extracted = try extractArchives(backup, placements: placements, owner: owner)
            try checkCompleteness(backup, extracted)
            try checkIdentity(backup, extracted)
            let extractor = try SafeExtractor(rootPath: request.dataDirectory, owner: owner)
            try linkTablespaces(placements, extractor)
            try finish(backup, placements: placements, held: extracted.held, extractor: extractor)
            // Said only now that they are true, so a refused restore stays one line.
            if let reason = choice?.reason { notice(reason) }
            if request.archiveMode == nil && archiveMode == .off {
                notice(
                    "wrote archive_mode = 'off' into the restored postgresql.auto.conf: the original cluster is running in \(backup.record.dataDirectory), and this copy must not archive into its WAL archive (pass --archive-mode preserve to keep archiving)"
                )
            }
            log("restored backup \(backup.record.id) into \(request.dataDirectory)")
            return RestoreResult(
                id: backup.record.id, pgdata: request.dataDirectory, walDirectory: request.walDirectory,
                tablespaces: placements.map {
                    .init(oid: $0.tablespace.oid, name: $0.tablespace.name, location: $0.location)
                },
                files: extracted.files, bytes: extracted.bytes, seconds: Date().timeIntervalSince(started),
                recovery: request.recovery.signalFile ?? "none", walSegments: extracted.walFiles.count,
                owner: owner.map { "\($0.uid):\($0.gid)" } ?? "\(geteuid()):\(getegid())",
                archiveMode: archiveMode, baseBackupChoice: choice?.reason, unarchivedWAL: kept)
        } catch {
            for destination in destinations.reversed() { destination.rollBack() }
            throw error
        }
    }

    // MARK: - Stages

    /// 0. With a recovery target, the backup it can be reached from (nil: no target, restore
    /// what was asked).
    func chooseBaseBackup() throws(RestoreError) -> BaseBackupChoice? {
        let recovery = request.recovery
        let target: BaseBackupChoice.Target
        if let text = recovery.targetTime {
            target = .time(try TargetTime(parsing: text), given: text)
        } else if let text = recovery.targetLSN, let lsn = LSN(parsing: text)?.value {
            target = .lsn(lsn, given: text)
        } else if let name = recovery.targetName {
            target = .name(name)
        } else {
            return nil
        }
        let candidates = try BaseBackupChoice.candidates(in: request.target, for: request.backupID)
        let choice = try BaseBackupChoice.choose(
            requested: request.backupID, target: target, candidates: candidates,
            history: { newest in
                newest.walArchive.flatMap { TimelineHistory.read(archive: $0, timeline: newest.timeline) }
            })
        request.backupID = choice.id
        return choice
    }

    /// 1. backup.json, the manifest (its own checksum checked) and every archive present.
    func openBackup() throws(RestoreError) -> StoredBackup {
        if let id = try? StoredBackup.resolve(request.backupID, in: request.target),
            let record = try? StoredBackup.readRecord(directory: request.target + "/" + id, id: id),
            record.kind == BackupRecord.externalKind
        {
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "backup \(id) is the record of a storage snapshot (pgsnap thaw), not a copy of the data: clone and mount the snapshot, then restore it with --in-place --pgdata <the clone>"
            )
        }
        let backup: StoredBackup
        do {
            backup = try StoredBackup.open(target: request.target, id: request.backupID)
        } catch {
            throw RestoreError(error)
        }
        let missing = backup.missingArchives
        guard missing.isEmpty else {
            throw RestoreError(
                code: .damaged,
                detail: "backup \(backup.record.id) lacks \(missing.map(\.name).joined(separator: ", "))")
        }
        return backup
    }

    /// 2. Each tablespace to its original location or where `--tablespace` sends it.
    func placeTablespaces(_ backup: StoredBackup) throws(RestoreError) -> [Placement] {
        let tablespaces = backup.record.tablespaces
        var placements = tablespaces.map { Placement(tablespace: $0, location: $0.location) }
        for mapping in request.tablespaces {
            let index = placements.firstIndex { placement in
                switch mapping.selector {
                case .oid(let oid): return placement.tablespace.oid == oid
                case .name(let name): return placement.tablespace.name == name
                }
            }
            guard let index else {
                let known = tablespaces.map { "\($0.name) (\($0.oid))" }.joined(separator: ", ")
                let asked: String
                switch mapping.selector {
                case .oid(let oid): asked = "OID \(oid)"
                case .name(let name): asked = "\"\(name)\""
                }
                throw RestoreError(
                    code: .invalidOption,
                    detail:
                        "--tablespace: backup \(backup.record.id) has no tablespace \(asked); it has \(known.isEmpty ? "none" : known)"
                )
            }
            placements[index].location = mapping.directory
        }
        for index in placements.indices {
            placements[index].location = Self.followingSymlink(placements[index].location)
        }
        var seen: Set<String> = [request.dataDirectory]
        if let walDirectory = request.walDirectory {
            guard walDirectory.hasPrefix("/"), walDirectory != "/", walDirectory != request.dataDirectory,
                !walDirectory.hasPrefix(request.dataDirectory + "/")
            else {
                throw RestoreError(
                    code: .invalidOption,
                    detail: "--waldir \(walDirectory): give an absolute directory outside the data directory")
            }
            seen.insert(walDirectory)
        }
        for placement in placements {
            let location = placement.location
            guard location.hasPrefix("/"), location != "/", !location.split(separator: "/").contains("..") else {
                throw RestoreError(
                    code: .damaged,
                    detail:
                        "tablespace \(placement.tablespace.name) has location \"\(location)\", which is not a usable absolute directory; relocate it with --tablespace"
                )
            }
            guard !seen.contains(location) else {
                throw RestoreError(
                    code: .invalidOption,
                    detail:
                        "tablespace \(placement.tablespace.name) would be restored to \(location), which another directory of this restore already uses"
                )
            }
            if location.hasPrefix(request.dataDirectory + "/") {
                throw RestoreError(
                    code: .invalidOption,
                    detail:
                        "tablespace \(placement.tablespace.name) would be restored inside the data directory (\(location)); pass --tablespace \(placement.tablespace.name)=DIR"
                )
            }
            seen.insert(location)
        }
        return placements
    }

    /// 3. The owner: `--owner`, else the original data directory's. Only root may give files away.
    func resolveOwner(_ backup: StoredBackup) throws(RestoreError) -> RestoreOwner? {
        let owner =
            request.owner
            ?? RestoreOwner(uid: backup.record.dataDirectoryOwner, gid: backup.record.dataDirectoryGroup)
        if geteuid() == 0 { return owner }
        guard owner.uid == geteuid() else {
            throw RestoreError(
                code: .destination,
                detail:
                    "the restored cluster must belong to uid \(owner.uid), and only root can give files away; run as root or pass --owner \(geteuid())"
            )
        }
        return nil
    }

    /// 4. Every destination empty (or emptied with `--overwrite`), 0700, owned by the owner; never
    /// a directory a running server uses.
    func prepareDestinations(_ placements: [Placement], owner: RestoreOwner?) throws(RestoreError) {
        let all =
            [RestoreDestination(path: request.dataDirectory, purpose: "data directory", walSubdirectory: "pg_wal")]
            + (request.walDirectory.map {
                [RestoreDestination(path: $0, purpose: "WAL directory", walSubdirectory: "")]
            } ?? [])
            + placements.map { placement in
                RestoreDestination(
                    path: placement.location, purpose: "tablespace \(placement.tablespace.name) location",
                    overwriteOnlyTablespaceContents: placement.location == placement.tablespace.location)
            }
        for destination in all {
            // Said at once, even if preparing fails afterwards: a failure must not hide where
            // the WAL went.
            defer {
                if let kept = destination.keptUnarchivedWAL {
                    notice("kept WAL that \(destination.path) had not archived yet in \(kept)")
                }
            }
            try destination.prepare(overwrite: request.overwrite, owner: owner)
            destinations.append(destination)
        }
    }

    /// 4a. No destination is, lies in or contains a directory a running server uses: checked
    /// for all of them before any is touched, whatever `--overwrite` says.
    func refuseDirectoriesInUse(_ placements: [Placement], clusters: RunningClusters) throws(RestoreError) {
        let all =
            [("data directory", request.dataDirectory)]
            + (request.walDirectory.map { [("WAL directory", $0)] } ?? [])
            + placements.map { ("tablespace \($0.tablespace.name) location", $0.location) }
        for (purpose, path) in all {
            if let (used, relation) = clusters.conflict(with: path) {
                throw RestoreError(code: .inUse, detail: "\(purpose) \(path) \(relation) \(used.description)")
            }
        }
    }

    /// 4b. `--archive-mode`, or its default: off for a clone next to the running original.
    func decideArchiveMode(_ backup: StoredBackup, clusters: RunningClusters) -> ArchiveMode {
        if let chosen = request.archiveMode { return chosen }
        let original = backup.record.dataDirectory
        let originalRunning = !original.isEmpty && clusters.runsIn(original)
        let newLocation = RunningClusters.resolved(request.dataDirectory) != RunningClusters.resolved(original)
        return ArchiveMode.default(originalRunning: originalRunning, newLocation: newLocation)
    }

    /// What all archives yielded together.
    struct Extracted {
        var files = 0
        var bytes: UInt64 = 0
        var manifestPaths: Set<RawPath> = []
        var held: [HeldFile] = []
        var walFiles: [String] = []
        var walHeaders: [String: (header: [UInt8], size: UInt64)] = [:]
    }

    /// 5. All archives at once, one thread each; the first failure stops the others.
    func extractArchives(_ backup: StoredBackup, placements: [Placement], owner: RestoreOwner?) throws(RestoreError)
        -> Extracted
    {
        // pg_wal must exist before its archive's thread opens it; base.tar's own entry for it
        // then just sets its mode. With --waldir the WAL goes there, and pg_wal becomes a
        // symlink at the end.
        if request.walDirectory == nil {
            let base = try SafeExtractor(rootPath: request.dataDirectory, owner: owner)
            try base.makeDirectory([Array("pg_wal".utf8)], mode: 0o700, memberPath: "pg_wal")
        }
        let walRoot = request.walDirectory ?? request.dataDirectory + "/pg_wal"
        let skipsWALDirectory = request.walDirectory != nil
        let index = ManifestIndex(backup.manifest)
        let oids = Set(placements.map(\.tablespace.oid))
        let failed = StopFlag()
        let shouldStop = self.shouldStop
        let stop: @Sendable () -> Bool = { failed.isSet || shouldStop() }
        let progress = backup.archives.map { _ in ArchiveProgress() }
        let reporter = onProgress.map { sink in
            ProgressReporter(
                volumes: StoredBackup.progressVolumes(backup.archives, record: backup.record, progress: progress),
                sink: sink)
        }
        reporter?.startReporting()
        defer { reporter?.stopReporting() }
        let dataDirectory = request.dataDirectory
        let jobs: [@Sendable () -> Result<ArchiveExtraction.Result, RestoreError>] = backup.archives.enumerated().map {
            item in
            let (position, archive) = item
            let root: String
            switch archive.role {
            case .dataDirectory: root = dataDirectory
            case .tablespace(let oid): root = placements.first { $0.tablespace.oid == oid }?.location ?? "/nonexistent"
            case .wal: root = walRoot
            }
            let extraction = ArchiveExtraction(
                archive: archive, index: index, tablespaceOIDs: oids,
                skipsWALDirectory: skipsWALDirectory,
                progress: progress[position], shouldStop: stop)
            return {
                let result = Result { () throws(RestoreError) -> ArchiveExtraction.Result in
                    let extractor = try SafeExtractor(rootPath: root, owner: owner)
                    return try extraction.run(into: extractor)
                }
                if case .failure = result { failed.set() }
                return result
            }
        }
        let results = ArchiveThreads.run(jobs)
        // The first real failure, not the "stopped because another failed" that follows it.
        let failures = results.compactMap { result -> RestoreError? in
            if case .failure(let error) = result { return error }
            return nil
        }
        if let error = failures.first(where: { $0.code != .interrupted }) ?? failures.first { throw error }
        if shouldStop() { throw RestoreError(code: .interrupted, detail: "restore interrupted by a signal") }
        var extracted = Extracted()
        for case .success(let result) in results {
            extracted.files += result.files
            extracted.bytes += result.bytes
            extracted.manifestPaths.formUnion(result.manifestPaths)
            extracted.held += result.held
            extracted.walFiles += result.walFiles
            extracted.walHeaders.merge(result.walHeaders) { first, _ in first }
        }
        extracted.manifestPaths.formUnion(extracted.held.map(\.path))
        return extracted
    }

    /// 6. Every file the manifest lists and every WAL segment backup.json names was extracted.
    func checkCompleteness(_ backup: StoredBackup, _ extracted: Extracted) throws(RestoreError) {
        let missing = backup.manifest.files.map(\.path).filter { !extracted.manifestPaths.contains($0) }
        if !missing.isEmpty {
            let shown = missing.prefix(5).map(\.description).joined(separator: ", ")
            throw RestoreError(
                code: .damaged,
                detail:
                    "backup \(backup.record.id): \(missing.count) file(s) listed in backup_manifest are in no archive: \(shown)\(missing.count > 5 ? ", ..." : "")"
            )
        }
        let walFiles = Set(extracted.walFiles)
        let missingWAL = backup.record.walSegments.filter { !walFiles.contains($0) }
        if !missingWAL.isEmpty {
            throw RestoreError(
                code: .damaged,
                detail:
                    "backup \(backup.record.id): pg_wal.tar.zst lacks WAL segment(s) \(missingWAL.joined(separator: ", "))"
            )
        }
        guard extracted.held.contains(where: { $0.path == "backup_label" }),
            extracted.held.contains(where: { $0.path == "global/pg_control" })
        else {
            throw RestoreError(
                code: .damaged,
                detail: "backup \(backup.record.id): base.tar.zst lacks backup_label or global/pg_control")
        }
    }

    /// 7. `pg_tblspc/<oid>` → the tablespace's restored location; `pg_wal` → `--waldir`.
    func linkTablespaces(_ placements: [Placement], _ extractor: SafeExtractor) throws(RestoreError) {
        if let walDirectory = request.walDirectory {
            try extractor.createSymlink([Array("pg_wal".utf8)], target: walDirectory, memberPath: "pg_wal")
        }
        for placement in placements {
            let name = "pg_tblspc/\(placement.tablespace.oid)"
            try extractor.createSymlink(
                [Array("pg_tblspc".utf8), Array(String(placement.tablespace.oid).utf8)],
                target: placement.location, memberPath: RawPath(name))
        }
    }

    /// 8. Sync everything, then the files that make the directory startable, `backup_label` last.
    func finish(_ backup: StoredBackup, placements: [Placement], held: [HeldFile], extractor: SafeExtractor)
        throws(RestoreError)
    {
        var manifest = backup.manifest
        var manifestChanged = false
        func record(_ path: RawPath, _ contents: [UInt8]) {
            let existing = manifest.files.firstIndex { $0.path == path }
            let algorithm =
                existing.map { manifest.files[$0].checksumAlgorithm }
                ?? manifest.files.first?.checksumAlgorithm ?? .none
            var checksum = FileChecksum(algorithm)
            contents.withUnsafeBytes { checksum.update($0) }
            let updated = ManifestFileRecord(
                path: path, size: UInt64(contents.count), modificationTime: Int64(time(nil)),
                checksumAlgorithm: algorithm, checksum: checksum.finalize())
            if let existing { manifest.files[existing] = updated } else { manifest.files.append(updated) }
            manifestChanged = true
        }

        // Everything extracted so far reaches the disk before anything declares it complete.
        var synced: Set<String> = []
        let roots = [request.dataDirectory] + (request.walDirectory.map { [$0] } ?? []) + placements.map(\.location)
        for root in roots where !synced.contains(root) {
            synced.insert(root)
            let descriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { if descriptor >= 0 { close(descriptor) } }
            guard descriptor >= 0, pgsnap_syncfs(descriptor) == 0 else {
                throw RestoreError(
                    code: .destination, detail: "cannot sync \(root)", underlying: Errno.current.description)
            }
        }
        if shouldStop() { throw RestoreError(code: .interrupted, detail: "restore interrupted by a signal") }

        if let map = held.first(where: { $0.path == "tablespace_map" }) {
            let contents = Self.tablespaceMap(placements, original: map.contents)
            try extractor.writeFile(
                Self.split("tablespace_map"), contents: contents, mode: map.mode,
                modificationTime: map.modificationTime, memberPath: "tablespace_map")
            if contents != map.contents { record("tablespace_map", contents) }
        }
        let recovery = request.recovery
        let settings = recovery.configurationLines + (archiveMode == .off ? ["archive_mode = 'off'"] : [])
        if !settings.isEmpty {
            let text =
                "\n# Added by pgsnap restore of backup \(backup.record.id)\n"
                + settings.joined(separator: "\n") + "\n"
            let contents = try extractor.append(
                Self.split("postgresql.auto.conf"), Array(text.utf8),
                memberPath: "postgresql.auto.conf")
            record("postgresql.auto.conf", contents)
        }
        if let control = held.first(where: { $0.path == "global/pg_control" }) {
            try extractor.writeFile(
                Self.split("global/pg_control"), contents: control.contents, mode: control.mode,
                modificationTime: control.modificationTime, memberPath: "global/pg_control")
            try extractor.syncDirectory(Self.split("global"), memberPath: "global")
        }
        if let signal = recovery.signalFile {
            try extractor.writeFile(
                Self.split(signal), contents: [], mode: 0o600, modificationTime: nil,
                memberPath: RawPath(signal))
            record(RawPath(signal), [])
        }
        // The manifest copy describes the restored tree, so `pg_verifybackup PGDATA` works as it
        // does after `pg_basebackup -Fp`.
        try extractor.writeFile(
            Self.split("backup_manifest"),
            contents: manifestChanged ? manifest.rendered() : backup.manifestBytes, mode: 0o600,
            modificationTime: nil, memberPath: "backup_manifest")
        guard let label = held.first(where: { $0.path == "backup_label" }) else {
            throw RestoreError(code: .damaged, detail: "base.tar.zst lacks backup_label")
        }
        try extractor.writeFile(
            Self.split("backup_label"), contents: label.contents, mode: label.mode,
            modificationTime: label.modificationTime, memberPath: "backup_label")
        try extractor.syncDirectory([], memberPath: "")
    }

    // MARK: - Helpers

    /// `tablespace_map` for the chosen locations: the original bytes when nothing moved,
    /// otherwise one `<oid> <location>` line per tablespace with PostgreSQL's escaping.
    static func tablespaceMap(_ placements: [Placement], original: [UInt8]) -> [UInt8] {
        if placements.allSatisfy({ $0.location == $0.tablespace.location }) { return original }
        var text = ""
        for placement in placements {
            var escaped = ""
            for character in placement.location {
                if character == "\\" || character == "\n" || character == "\r" { escaped.append("\\") }
                escaped.append(character)
            }
            text += "\(placement.tablespace.oid) \(escaped)\n"
        }
        return Array(text.utf8)
    }

    /// A destination that is a symlink to a directory (a common way to put a data directory on
    /// another disk) means that directory: the administrator chose it. Only the top level is
    /// followed; nothing inside the destination ever is.
    static func followingSymlink(_ path: String) -> String {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) else {
            return path
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func split(_ path: String) -> [[UInt8]] {
        path.split(separator: "/").map { Array($0.utf8) }
    }
}

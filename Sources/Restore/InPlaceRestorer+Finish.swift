internal import CSystemShims
internal import Foundation
internal import Glibc
internal import PostgresFormat
internal import SystemCalls
internal import TargetLayout

extension InPlaceRestorer {
    /// Everything synced, then the tablespace map, the recovery settings and, last, the label.
    func finish(
        _ record: BackupRecord, directory: String, placements: [Restorer.Placement], extractor: SafeExtractor,
        archiveOff: Bool, roots: [String]
    ) throws(RestoreError) {
        for root in Set(roots) {
            let descriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { if descriptor >= 0 { close(descriptor) } }
            guard descriptor >= 0, pgsnap_syncfs(descriptor) == 0 else {
                throw RestoreError(
                    code: .destination, detail: "cannot sync \(root)", underlying: Errno.current.description)
            }
        }
        let label = try recordFile(BackupFiles.backupLabel, in: directory)
        let map = try recordFile(BackupFiles.tablespaceMap, in: directory)
        if !placements.isEmpty {
            try extractor.writeFile(
                Restorer.split("tablespace_map"), contents: Restorer.tablespaceMap(placements, original: map),
                mode: 0o600, modificationTime: nil, memberPath: "tablespace_map")
        }
        let recovery = request.recovery
        let settings = recovery.configurationLines + (archiveOff ? ["archive_mode = 'off'"] : [])
        if !settings.isEmpty {
            let text =
                "\n# Added by pgsnap restore --in-place of backup \(record.id)\n" + settings.joined(separator: "\n")
                + "\n"
            _ = try extractor.append(
                Restorer.split("postgresql.auto.conf"), Array(text.utf8), memberPath: "postgresql.auto.conf")
        }
        if let signal = recovery.signalFile {
            try extractor.writeFile(
                Restorer.split(signal), contents: [], mode: 0o600, modificationTime: nil, memberPath: RawPath(signal))
        }
        try extractor.writeFile(
            Restorer.split("backup_label"), contents: label, mode: 0o600, modificationTime: nil,
            memberPath: "backup_label")
        try extractor.syncDirectory([], memberPath: "")
    }

    private func recordFile(_ name: String, in directory: String) throws(RestoreError) -> [UInt8] {
        switch BoundedFile.read(directory + "/" + name, limit: 1 << 20) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            throw RestoreError(code: .damaged, detail: "backup record \(directory): \(name) \(failure.description)")
        }
    }
}

import Configuration
import Foundation
public import PostgresClient
import PostgresFormat
import TargetLayout

/// What `check` reports about the target's WAL archive (docs/wal-archive.md), when it has one:
/// whether the server archives into it, how its archiver fares, how fresh the newest segment is.
public struct WALArchiveFacts: Sendable, Equatable, Encodable {
    public var directory: String
    public var archiveMode: String
    /// The server's archive_command; nil when this role may not read it.
    public var archiveCommand: String?
    /// archive_command runs `pgsnap archive-push` for this very target (by `--target`, or a
    /// `--config` file, or the default one, naming it); nil when archive_command is unknown.
    public var callsPgsnap: Bool?
    public var archiver: ArchiverStatus?
    public var newestSegment: String?
    public var newestAgeSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case directory
        case archiveMode = "archive_mode"
        case archiveCommand = "archive_command"
        case callsPgsnap = "calls_pgsnap"
        case archiver
        case newestSegment = "newest_segment"
        case newestAgeSeconds = "newest_age_seconds"
    }

    /// The facts of `target`'s archive, nil when it has none.
    static func read(target: String, archiveMode: String, session: any PostgresSession, now: Date) -> WALArchiveFacts? {
        let directory = WALArchiveLayout.directory(target: target)
        var info = stat()
        guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        let command = (try? session.query("SELECT current_setting('archive_command') AS command", []))?.value(
            0, "command")
        var facts = WALArchiveFacts(
            directory: directory, archiveMode: archiveMode, archiveCommand: command,
            callsPgsnap: command.map { Self.callsPgsnap($0, target: target) },
            archiver: try? ArchiverStatus.read(session))
        if let (name, modified) = newest(directory) {
            facts.newestSegment = name
            facts.newestAgeSeconds = max(0, now.timeIntervalSince1970 - modified)
        }
        return facts
    }

    /// Whether `command` is `… pgsnap archive-push %p …` archiving into `target`.
    static func callsPgsnap(_ command: String, target: String) -> Bool {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        }
        guard let push = words.firstIndex(of: "archive-push"), push > 0, words[push - 1].hasSuffix("pgsnap")
        else { return false }
        func value(_ flag: String) -> String? {
            words.firstIndex(of: flag).flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        }
        if let named = value("--target") { return standardized(named) == standardized(target) }
        let file = try? ConfigFile.load(path: value("--config") ?? Settings.defaultPath)
        guard let settings = try? Settings.resolve(file: file, overrides: [:]), let configured = settings.target
        else { return false }
        return standardized(configured) == standardized(target)
    }

    private static func standardized(_ path: String) -> String {
        (path as NSString).standardizingPath
    }

    /// The newest archived segment (by position, whatever its timeline) and its mtime.
    private static func newest(_ directory: String) -> (String, Double)? {
        let logFiles = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.utf8.count == 16 }.sorted { $0.dropFirst(8) < $1.dropFirst(8) }
        guard let last = logFiles.last else { return nil }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + last)) ?? [])
            .filter { $0.hasSuffix(WALArchiveLayout.storedSuffix) }
            .map { String($0.dropLast(WALArchiveLayout.storedSuffix.count)) }
            .filter(WALFileName.isSegmentName).sorted { $0.dropFirst(8) < $1.dropFirst(8) }
        guard let name = names.last else { return nil }
        var info = stat()
        guard stat(directory + "/" + last + "/" + name + WALArchiveLayout.storedSuffix, &info) == 0 else { return nil }
        return (name, Double(info.st_mtim.tv_sec))
    }
}

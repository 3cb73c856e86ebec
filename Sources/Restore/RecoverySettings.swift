import PostgresFormat

/// What the restored server does after it reaches consistency: stop at a target, follow a
/// primary as a standby, or (with nothing set) replay the backup's own WAL and start.
///
/// PostgreSQL 12 and later read these from the configuration plus a signal file; pgsnap
/// appends them to `postgresql.auto.conf`, where `ALTER SYSTEM RESET` can later remove them.
public struct RecoverySettings: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case pause, promote, shutdown
    }

    public var standby = false
    public var restoreCommand: String?
    public var targetTime: String?
    public var targetName: String?
    public var targetLSN: String?
    public var targetAction: Action?
    /// A streaming standby's primary (`primary_conninfo`), and its slot (`primary_slot_name`).
    /// Never a password: the standby's user's `.pgpass` has it.
    public var primaryConninfo: String?
    public var primarySlot: String?

    public init(
        standby: Bool = false, restoreCommand: String? = nil, targetTime: String? = nil,
        targetName: String? = nil, targetLSN: String? = nil, targetAction: Action? = nil
    ) {
        self.standby = standby
        self.restoreCommand = restoreCommand
        self.targetTime = targetTime
        self.targetName = targetName
        self.targetLSN = targetLSN
        self.targetAction = targetAction
    }

    /// Whether any recovery setting was asked for: then a signal file is written. Without one,
    /// the server replays the WAL in pg_wal from backup_label and starts as a primary.
    public var isEmpty: Bool {
        !standby && restoreCommand == nil && targetTime == nil && targetName == nil && targetLSN == nil
            && targetAction == nil
    }

    /// `recovery.signal`, `standby.signal`, or nil.
    public var signalFile: String? {
        if isEmpty { return nil }
        return standby ? "standby.signal" : "recovery.signal"
    }

    /// Rejects what PostgreSQL would reject at start-up, where the DBA would only see it in
    /// the server log.
    public func validate(serverMajorVersion: Int) throws(RestoreError) {
        let targets = [targetTime, targetName, targetLSN].compactMap { $0 }
        if (primaryConninfo != nil || primarySlot != nil) && !standby {
            throw RestoreError(code: .invalidOption, detail: "--primary-conninfo and --primary-slot need --standby")
        }
        if primarySlot != nil && primaryConninfo == nil {
            throw RestoreError(code: .invalidOption, detail: "--primary-slot needs --primary-conninfo")
        }
        if let primarySlot,
            primarySlot.isEmpty || primarySlot.utf8.count > 63
                || !primarySlot.utf8.allSatisfy({
                    (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F
                })
        {
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "--primary-slot \(TargetTime.shown(primarySlot)): a slot name is lower-case letters, digits and _ (at most 63)"
            )
        }
        for value in [restoreCommand, targetTime, targetName, targetLSN, primaryConninfo].compactMap({ $0 })
        where value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            throw RestoreError(
                code: .invalidOption, detail: "recovery settings cannot contain line breaks: \(value.debugDescription)")
        }
        if targets.count > 1 {
            throw RestoreError(
                code: .invalidOption,
                detail: "give at most one of --target-time, --target-name and --target-lsn")
        }
        if targetAction != nil && targets.isEmpty {
            throw RestoreError(
                code: .invalidOption, detail: "--target-action needs --target-time, --target-name or --target-lsn")
        }
        if let targetTime { _ = try TargetTime(parsing: targetTime) }
        if let restoreCommand, !Self.hasPlaceholders(restoreCommand) {
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "--restore-command \(TargetTime.shown(restoreCommand)) lacks %f (the WAL file's name) or %p (where to copy it); e.g. 'cp /archive/%f %p'"
            )
        }
        if let targetLSN, !Self.isLSN(targetLSN) {
            throw RestoreError(code: .invalidOption, detail: "--target-lsn \(targetLSN) is not an LSN like 0/3000060")
        }
        if !targets.isEmpty && restoreCommand == nil && !standby {
            // The backup's own WAL ends at its stop point; a later target needs archived WAL.
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "a recovery target needs --restore-command (or a WAL archive in the target, without --no-archive) to fetch WAL past the end of the backup"
            )
        }
        if serverMajorVersion > 0 && serverMajorVersion < 12 && !isEmpty {
            throw RestoreError(
                code: .invalidOption,
                detail:
                    "recovery settings for PostgreSQL \(serverMajorVersion) go in recovery.conf, which pgsnap does not write; restore without them and add recovery.conf by hand"
            )
        }
    }

    /// The lines appended to `postgresql.auto.conf`.
    public var configurationLines: [String] {
        var lines: [String] = []
        if let restoreCommand { lines.append("restore_command = \(Self.quoted(restoreCommand))") }
        if let primaryConninfo { lines.append("primary_conninfo = \(Self.quoted(primaryConninfo))") }
        if let primarySlot { lines.append("primary_slot_name = \(Self.quoted(primarySlot))") }
        if let targetTime {
            // validate() parsed it; the UTC form is what both pgsnap and the server go by.
            let value = (try? TargetTime(parsing: targetTime))?.canonical ?? targetTime
            lines.append("recovery_target_time = \(Self.quoted(value))")
        }
        if let targetName { lines.append("recovery_target_name = \(Self.quoted(targetName))") }
        if let targetLSN { lines.append("recovery_target_lsn = \(Self.quoted(targetLSN))") }
        if let targetAction { lines.append("recovery_target_action = \(Self.quoted(targetAction.rawValue))") }
        return lines
    }

    /// A single-quoted configuration value, quotes doubled and backslashes escaped as the
    /// configuration parser expects.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func isLSN(_ text: String) -> Bool { LSN(parsing: text) != nil }

    /// `restore_command` with both `%f` and `%p` (`%%` is a literal percent sign): without
    /// them the server could never receive the file it asks for.
    static func hasPlaceholders(_ command: String) -> Bool {
        var file = false
        var path = false
        var percent = false
        for character in command {
            if percent {
                if character == "f" { file = true }
                if character == "p" { path = true }
                percent = false
            } else if character == "%" {
                percent = true
            }
        }
        return file && path
    }
}

import Configuration
import Foundation
import Testing

/// Each command's `--help` groups its flags by the kind of setting (issue 13, item 5), is
/// the golden screen, and the tables in the README and docs/configuration.md that say which
/// command takes which flag are generated from these same screens, so they cannot drift from
/// the binary (the man pages come from the same definitions through the argument parser).
@Suite("help grouped by kind, golden, and the generated tables", .unit)
struct HelpTextTests {
    /// Every subcommand, in the order `pgsnap --help` lists them.
    static let commands = [
        "check", "estimate", "backup", "freeze", "thaw", "snapshot-exec", "restore", "verify", "list", "info",
        "prune", "cleanup", "archive-push", "archive-get",
    ]

    /// The heading each settings flag is listed under, on every command that takes it.
    static let kind: [String: String] = [
        "--conninfo": "CONNECTION", "--target": "TARGET", "--run-directory": "TARGET",
        "--snapshot": "SNAPSHOT", "--snapshot-size": "SNAPSHOT", "--snapshot-size-min": "SNAPSHOT",
        "--snapshot-size-max": "SNAPSHOT", "--snapshot-size-sample": "SNAPSHOT", "--watch-interval": "SNAPSHOT",
        "--snapshot-autoextend-threshold": "SNAPSHOT", "--snapshot-autoextend-percent": "SNAPSHOT",
        "--thin-pool-danger-threshold": "SNAPSHOT", "--checkpoint": "COPY", "--max-rate": "COPY",
        "--manifest-checksums": "COPY", "--label": "COPY", "--compress-level": "COMPRESSION",
        "--compress-workers": "COMPRESSION", "--wal-archive": "WAL", "--wal-archive-timeout": "WAL",
        "--hook-directory": "HOOK", "--hook-timeout": "HOOK", "--keep-last": "RETENTION",
        "--keep-days": "RETENTION", "--metrics-file": "METRICS", "--log-level": "LOG",
        "--log-destination": "LOG", "--log-file": "LOG", "--archive-push-workers": "ARCHIVING",
        "--archive-get-prefetch": "RECOVERY", "--timeout": "FREEZE",
    ]
    /// `freeze` and `snapshot-exec` list their label and checkpoint with their watchdog, under
    /// FREEZE: together they say how the freeze runs.
    static let freezeFlags: Set = ["--timeout", "--label", "--checkpoint"]

    /// A help screen's option sections in order: heading (without " OPTIONS:") and flags.
    static func sections(_ help: String) -> [(heading: String, flags: [String])] {
        var sections: [(heading: String, flags: [String])] = []
        for line in help.split(separator: "\n") {
            if let heading = line.wholeMatch(of: /(?:([A-Z][A-Z ]*?) )?OPTIONS:/) {
                sections.append((heading.1.map(String.init) ?? "OPTIONS", []))
            } else if line.hasSuffix(":") && line.first?.isUppercase == true {
                sections.append((String(line.dropLast()), []))
            } else if let flag = CommandLineTests.optionFlag(line), !sections.isEmpty {
                sections[sections.count - 1].flags.append(flag)
            }
        }
        return sections.filter { $0.heading.hasSuffix("OPTIONS") || kindHeadings.contains($0.heading) }
    }

    static let kindHeadings: Set = [
        "CONNECTION", "TARGET", "SNAPSHOT", "COPY", "COMPRESSION", "WAL", "HOOK", "RETENTION", "METRICS", "LOG",
        "ARCHIVING", "RECOVERY", "FREEZE", "OPTIONS",
    ]

    static func help(_ command: String) throws -> String {
        // The argument parser wraps at the terminal's width; a pipe has none, COLUMNS pins it.
        let run = try Pgsnap.run([command, "--help"], environment: ["COLUMNS": "80"])
        #expect(run.status == 0, "\(run.output)")
        return run.stdout
    }

    @Test(arguments: commands)
    func helpIsTheGoldenScreen(_ command: String) throws {
        try Golden.check(try Self.help(command), against: "help/\(command).txt")
    }

    /// A settings flag is under the heading of its kind wherever it appears, and `backup`,
    /// which takes them all, lists the headings in the documented order.
    @Test(arguments: commands)
    func everySettingsFlagIsUnderTheHeadingOfItsKind(_ command: String) throws {
        for section in Self.sections(try Self.help(command)) {
            for flag in section.flags {
                guard let kind = Self.kind[flag] else {
                    #expect(
                        section.heading == "OPTIONS",
                        "\(command): \(flag) is the command's own and belongs under OPTIONS, not \(section.heading)")
                    continue
                }
                let allowed = section.heading == "FREEZE" ? Self.freezeFlags.contains(flag) : section.heading == kind
                #expect(allowed, "\(command): \(flag) is under \(section.heading), not \(kind)")
            }
        }
        // Every key the configuration file knows has its heading here.
        for key in SettingKey.allCases where key != .json && key != .freezeTimeout {
            #expect(Self.kind[key.flag] != nil, "\(key.flag) has no heading")
        }
    }

    @Test func backupListsTheHeadingsInTheirOrder() throws {
        let headings = Self.sections(try Self.help("backup")).map(\.heading)
        #expect(
            headings == [
                "CONNECTION", "SNAPSHOT", "WAL", "HOOK", "COPY", "COMPRESSION", "RETENTION", "METRICS", "TARGET",
                "LOG", "OPTIONS",
            ], "\(headings)")
    }

    /// docs/configuration.md's table of flags by heading and command, generated from the
    /// help screens.
    @Test func theFlagsByCommandTableIsGenerated() throws {
        var commandsOf: [String: [String]] = [:]
        var headingsOf: [String: [String]] = [:]
        var order: [(heading: String, flag: String)] = []
        for command in Self.commands {
            for section in Self.sections(try Self.help(command)) where section.heading != "OPTIONS" {
                for flag in section.flags {
                    if commandsOf[flag] == nil { order.append((section.heading, flag)) }
                    commandsOf[flag, default: []].append(command)
                    if headingsOf[flag]?.contains(section.heading) != true {
                        headingsOf[flag, default: []].append(section.heading)
                    }
                }
            }
        }
        // Grouped by heading in the order of backup's screen, then the headings only others have.
        let headingOrder = Self.sections(try Self.help("backup")).map(\.heading)
        let rank = { (heading: String) in headingOrder.firstIndex(of: heading) ?? headingOrder.count }
        let rows = order.enumerated().sorted {
            (rank($0.element.heading), $0.offset) < (rank($1.element.heading), $1.offset)
        }.map(\.element)
        var table = "| heading | flag | key | commands |\n|---|---|---|---|\n"
        for row in rows {
            let commands = try #require(commandsOf[row.flag])
            let key =
                row.flag == "--timeout"
                ? "freeze_timeout" : String(row.flag.dropFirst(2)).replacingOccurrences(of: "-", with: "_")
            let listed =
                commands.count == Self.commands.count ? "all" : commands.map { "`\($0)`" }.joined(separator: ", ")
            // A flag two kinds of command read is under each one's heading (--label: copy, freeze).
            let headings = (headingsOf[row.flag] ?? []).map { $0.lowercased() }.joined(separator: ", ")
            table += "| \(headings) | `\(row.flag)` | `\(key)` | \(listed) |\n"
        }
        try GeneratedSection.check(table, in: "docs/configuration.md", named: "flags-by-command")
    }

    /// The README's table of commands: what each does (its abstract) and the headings of the
    /// settings it takes, generated from `pgsnap --help` and each command's screen.
    @Test func theReadmeCommandTableIsGenerated() throws {
        let top = try Pgsnap.run(["--help"], environment: ["COLUMNS": "200"])
        #expect(top.status == 0, "\(top.output)")
        var abstracts: [String: String] = [:]
        for line in top.stdout.split(separator: "\n") {
            guard let match = line.wholeMatch(of: #/  ([a-z-]+)(?: \(default\))? {2,}(.+)/#) else { continue }
            abstracts[String(match.1)] = String(match.2)
        }
        var table = "| command | what it does | settings it takes |\n|---|---|---|\n"
        for command in Self.commands {
            let abstract = try #require(abstracts[command], "pgsnap --help does not list \(command)")
            let headings = Self.sections(try Self.help(command)).map(\.heading).filter { $0 != "OPTIONS" }
            table +=
                "| `\(command)` | \(abstract.replacingOccurrences(of: "|", with: "\\|")) | \(headings.map { $0.lowercased() }.joined(separator: ", ")) |\n"
        }
        try GeneratedSection.check(table, in: "README.md", named: "commands")
    }
}

/// A part of a document between `<!-- generated: NAME ... -->` and `<!-- end: NAME -->`,
/// compared with what a test generates; PGSNAP_UPDATE_GOLDEN=1 rewrites it in place.
enum GeneratedSection {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func check(_ text: String, in document: String, named name: String) throws {
        let file = root.appendingPathComponent(document)
        let contents = try String(contentsOf: file, encoding: .utf8)
        let begin = try #require(
            contents.range(of: "<!-- generated: \(name) "), "\(document) has no '<!-- generated: \(name) ... -->'")
        let afterBegin = try #require(contents.range(of: "-->\n", range: begin.upperBound..<contents.endIndex))
        let end = try #require(
            contents.range(of: "<!-- end: \(name) -->", range: afterBegin.upperBound..<contents.endIndex),
            "\(document) has no '<!-- end: \(name) -->'")
        let current = String(contents[afterBegin.upperBound..<end.lowerBound])
        guard current != text else { return }
        if Golden.updating {
            try Data((contents[..<afterBegin.upperBound] + text + contents[end.lowerBound...]).utf8).write(to: file)
            return
        }
        Issue.record(
            """
            the generated '\(name)' table of \(document) differs from the binary's help \
            (rerun with PGSNAP_UPDATE_GOLDEN=1 and review the diff):
            \(text)
            """)
    }
}

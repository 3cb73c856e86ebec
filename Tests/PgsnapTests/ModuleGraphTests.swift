import Foundation
import Testing

/// The architecture's rules as tests, so they hold after the change that made them (issue 12):
/// the read side is not stacked on the write side, each on-target name is spelled once, libpq
/// has one owner, and the backup orchestration stays in functions that fit on a screen.
@Suite("module graph and source shape", .unit)
struct ModuleGraphTests {
    @Test func restoreAndVerifyAreSiblingsOfBackup() throws {
        let backupImporters = try SourceFiles.modules(containing: "import Backup\n")
        #expect(backupImporters.isDisjoint(with: ["Restore", "Verify"]), "\(backupImporters)")
        #expect(!(try SourceFiles.modules(containing: "import Restore\n")).contains("Verify"))
    }

    /// The metrics file (issue 13) has one owner, read by no module but the executable that
    /// writes it after a run; it reads the catalog and the layout, never the commands' modules.
    @Test func metricsIsALeafReaderOfTheCatalog() throws {
        let importers = try SourceFiles.modules(containing: "import Metrics\n")
        #expect(importers == ["pgsnap"], "\(importers)")
        for module in ["Backup", "Restore", "Verify", "WALArchive", "Preflight", "PostgresClient", "Configuration"] {
            let metricsFiles = try SourceFiles.containing("import \(module)\n").filter { $0.hasPrefix("Metrics/") }
            #expect(metricsFiles.isEmpty, "Metrics imports \(module): \(metricsFiles)")
        }
        // Every metric name is spelled in MetricNames only.
        #expect(try SourceFiles.containing("\"pgsnap_last_exit_status\"") == ["Metrics/MetricNames.swift"])
    }

    @Test func libpqHasOneOwner() throws {
        #expect(try SourceFiles.modules(containing: "import CLibPQ\n") == ["PostgresClient"])
    }

    /// The names of the target are spelled in one file each (TargetLayout's BackupFiles, and
    /// PostgreSQL's `.partial` suffix in the WAL-name codec, which the layout borrows).
    @Test func everyTargetNameIsSpelledOnce() throws {
        for literal in ["\"base.tar.zst\"", "\".partial\"", "\"backup.json\"", "\".failed\"", "\"pgsnap.target\""] {
            let files = try SourceFiles.containing(literal)
            #expect(files.count == 1, "\(literal) in \(files)")
        }
    }

    @Test func noBackupFunctionIsLongerThanFortyLines() throws {
        let root = SourceFiles.root.appendingPathComponent("Backup")
        var long: [String] = []
        for relative in try SourceFiles.containing("func ", under: root) {
            let text = try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
            for (line, length) in Self.functionLengths(text) where length > 40 {
                long.append("Backup/\(relative):\(line) (\(length) lines)")
            }
        }
        #expect(long.isEmpty, "split these: \(long)")
    }

    /// (first line, number of lines) of every function and initializer body: from the
    /// declaration to the brace that closes it. Comments are skipped; Sources/Backup has no
    /// braces inside string literals, which this counts as code.
    static func functionLengths(_ text: String) -> [(Int, Int)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var found: [(Int, Int)] = []
        var index = 0
        while index < lines.count {
            let code = lines[index].trimmingCharacters(in: .whitespaces)
            guard !code.hasPrefix("//"), code.contains("func ") || code.hasPrefix("init(") || code.contains(" init(")
            else {
                index += 1
                continue
            }
            var depth = 0
            var opened = false
            var end = index
            scan: while end < lines.count {
                for character in lines[end] {
                    if character == "{" {
                        depth += 1
                        opened = true
                    }
                    if character == "}" { depth -= 1 }
                    if opened && depth == 0 { break scan }
                }
                if !opened && end > index + 8 { break }  // a protocol requirement: no body
                end += 1
            }
            if opened { found.append((index + 1, end - index + 1)) }
            index = opened ? end + 1 : index + 1
        }
        return found
    }
}

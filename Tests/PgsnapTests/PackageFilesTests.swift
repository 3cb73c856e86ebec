import Configuration
import Foundation
import Testing

/// What the Debian package and scripts/install ship besides the binary (issue 13, item 1): the
/// example /etc/pgsnap/pgsnap.conf parses and documents every key with its real default, and the
/// version the scripts read is the one `pgsnap --version` prints. Tests/Package/debian12-chroot.sh
/// proves the package itself (scripts/test package).
@Suite("packaged files", .unit)
struct PackageFilesTests {
    static let repository = SourceFiles.root.deletingLastPathComponent()
    static let example = repository.appendingPathComponent("scripts/package/pgsnap.conf").path
    /// Keys without a default: the example shows a typical value instead.
    static let withoutDefault: Set<SettingKey> = [
        .conninfo, .target, .walArchive, .label, .keepLast, .keepDays, .hookDirectory, .metricsFile, .logFile,
    ]

    /// The example with the `#` of every `#key = value` line removed.
    static func uncommented() throws -> String {
        let text = try String(contentsOfFile: example, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.firstMatch(of: /^#([a-z_]+ = )/) == nil ? String($0) : String($0.dropFirst()) }
            .joined(separator: "\n")
    }

    @Test func theShippedExampleParsesAndChangesNothing() throws {
        let file = try ConfigFile.load(path: Self.example)
        #expect(file.entries.isEmpty, "the shipped example sets \(file.entries.map(\.key))")
        #expect(try Settings.resolve(file: file, overrides: [:]) == Settings())
    }

    @Test func everyKeyIsInTheExampleOnceWithItsDefault() throws {
        let file = try ConfigFile.parse(try Self.uncommented(), path: Self.example)
        #expect(file.entries.map(\.key).sorted() == SettingKey.allCases.map(\.rawValue).sorted())
        // The same settings with only the keys without a default given: every other line of the
        // example must show the default the binary uses.
        var typical: [SettingKey: String] = [:]
        for entry in file.entries {
            guard let key = SettingKey(rawValue: entry.key), Self.withoutDefault.contains(key) else { continue }
            typical[key] = entry.value
        }
        let fromExample = try Settings.resolve(file: file, overrides: [:])
        let fromDefaults = try Settings.resolve(file: nil, overrides: typical)
        #expect(fromExample == fromDefaults)
    }

    /// scripts/install and scripts/package/build read the version from this line with sed.
    @Test func versionPrintsTheVersionTheScriptsReadAndACommit() throws {
        let source = try String(
            contentsOf: SourceFiles.root.appendingPathComponent("pgsnap/PgsnapVersion.swift"), encoding: .utf8)
        let line = try #require(source.firstMatch(of: /\n    static let current = "([0-9]+\.[0-9]+\.[0-9]+)"\n/))
        let run = try Pgsnap.run(["--version"])
        #expect(run.status == 0)
        let printed = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let version = line.1.replacingOccurrences(of: ".", with: "\\.")
        let expected = try Regex("^\(version) \\((unknown commit|commit [0-9a-f]{7,40}(-dirty)?)\\)$")
        #expect(printed.wholeMatch(of: expected) != nil, "pgsnap --version printed '\(printed)'")
    }
}

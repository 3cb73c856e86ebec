import Foundation
import Testing

/// Under systemd, pgsnap's stderr lines carry journald's `<N>` priority prefix (issue 13,
/// item 4: "journald sees one line per record with the level"), and only when stderr really
/// is the stream JOURNAL_STREAM names.
@Suite("stderr lines carry the journal's priority under systemd", .unit)
struct JournalStreamTests {
    /// Runs pgsnap with stderr on a file of its own and JOURNAL_STREAM naming that file, or
    /// another one, or made by `value` from the file's device and inode; returns the exit
    /// status and what pgsnap wrote to stderr.
    static func run(
        _ arguments: [String], journalIsStderr: Bool, value: ((UInt64, UInt64) -> String)? = nil
    ) throws -> (Int32, String) {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-journal-")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stderrPath = directory + "/stderr"
        let otherPath = directory + "/other"
        #expect(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        #expect(FileManager.default.createFile(atPath: otherPath, contents: nil))
        var status = stat()
        try #require(stat(journalIsStderr ? stderrPath : otherPath, &status) == 0)
        let stderr = try #require(FileHandle(forWritingAtPath: stderrPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Pgsnap.path)
        process.arguments = arguments
        let device = UInt64(status.st_dev)
        let inode = UInt64(status.st_ino)
        let journal = value?(device, inode) ?? "\(device):\(inode)"
        process.environment = ["JOURNAL_STREAM": journal, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        process.waitUntilExit()
        try stderr.close()
        return (process.terminationStatus, try String(contentsOfFile: stderrPath, encoding: .utf8))
    }

    /// A target that does not exist: the failed run's one line, an error (priority 3), exit 6.
    static let arguments = ["list", "--target", "/nonexistent/pgsnap-journal"]

    @Test func eachLineStartsWithItsPriorityWhenStderrIsTheJournal() throws {
        let (status, stderr) = try Self.run(Self.arguments, journalIsStderr: true)
        #expect(status == 6, "\(stderr)")
        let lines = stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(stderr)")
        #expect(lines.first?.hasPrefix("<3>pgsnap: cannot read /nonexistent/pgsnap-journal") == true, "\(stderr)")
    }

    @Test func anInheritedJournalStreamOnAnotherFileAddsNothing() throws {
        let (status, stderr) = try Self.run(Self.arguments, journalIsStderr: false)
        #expect(status == 6, "\(stderr)")
        #expect(stderr.hasPrefix("pgsnap: cannot read"), "\(stderr)")
    }

    /// Only "device:inode" in decimal naming stderr itself counts.
    @Test(arguments: ["", ":", "%1$llu", "%1$llu:%2$llu:1", "x:%2$llu", "-1:%2$llu", "%1$llu:%3$llu"])
    func aMalformedOrDifferentValueAddsNothing(_ format: String) throws {
        let (status, stderr) = try Self.run(Self.arguments, journalIsStderr: true) { device, inode in
            format.replacingOccurrences(of: "%1$llu", with: "\(device)").replacingOccurrences(
                of: "%2$llu", with: "\(inode)"
            ).replacingOccurrences(of: "%3$llu", with: "\(inode &+ 1)")
        }
        #expect(status == 6, "\(stderr)")
        #expect(stderr.hasPrefix("pgsnap: cannot read"), "\(format): \(stderr)")
    }
}

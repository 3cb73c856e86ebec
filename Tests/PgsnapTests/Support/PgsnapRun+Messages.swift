import Foundation
import Testing

extension Pgsnap.Run {
    /// What went to stderr (`output` is stdout followed by stderr).
    var stderr: String { String(output.dropFirst(stdout.count)) }

    /// The lines of output that mention `text`.
    func lines(naming text: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }
}

/// The failure is reported as one line of its own that names `text` (pgsnap prints
/// `pgsnap: <message>`; ArgumentParser's usage errors print `Error: <message>`).
func expectOneLineMessage(_ run: Pgsnap.Run, naming text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = run.lines(naming: text).filter { $0.hasPrefix("pgsnap: ") || $0.hasPrefix("Error: ") }
    #expect(
        !lines.isEmpty, "no 'pgsnap: …' or 'Error: …' line names \(text): \(run.output)", sourceLocation: sourceLocation
    )
}

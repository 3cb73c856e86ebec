import Foundation
import Testing

/// The fault-injection suite's tally: every injected fault is a named case, and a case
/// survived when none of the checks after it found anything. The suite prints
/// `fault injection: N injected, M survived` (scripts/test shows that line) and names each
/// case that did not survive, so the closing note of a change can quote the real numbers.
final class FaultLedger: @unchecked Sendable {
    /// Which run this is (the PostgreSQL version), in front of every line it prints.
    let label: String
    private let lock = NSLock()
    private var cases: [(name: String, problems: [String])] = []

    init(label: String) {
        self.label = label
    }

    /// Records `name`'s problems (empty: survived).
    func record(_ name: String, _ problems: [String]) {
        lock.lock()
        cases.append((name, problems))
        lock.unlock()
    }

    var injected: Int { lock.withLock { cases.count } }
    var survived: Int { lock.withLock { cases.filter(\.problems.isEmpty).count } }

    /// Prints the tally and reports each case that did not survive as a test issue.
    func report(sourceLocation: SourceLocation = #_sourceLocation) {
        let snapshot = lock.withLock { cases }
        print(
            "fault injection: \(label): \(snapshot.count) injected, \(snapshot.filter(\.problems.isEmpty).count) survived"
        )
        for (name, problems) in snapshot where !problems.isEmpty {
            print("fault injection: \(label): NOT survived: \(name): \(problems.joined(separator: "; "))")
            Issue.record(
                "\(label): fault '\(name)' not survived: \(problems.joined(separator: "; "))",
                sourceLocation: sourceLocation)
        }
    }
}

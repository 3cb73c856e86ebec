import ExitStatus

/// What a run created and must undo, as a stack: each stage pushes a named step the moment it
/// has created something (a session, backup mode, a snapshot, a mount, the partial directory),
/// and teardown pops them, last created first. Every step is attempted even if an earlier one
/// failed: a mount that will not go away must not keep a snapshot or backup mode alive.
struct Teardown {
    private var steps: [(name: String, undo: () throws -> Void)] = []

    /// The names of the steps still to run, first pushed first.
    var names: [String] { steps.map(\.name) }

    mutating func push(_ name: String, _ undo: @escaping () throws -> Void) {
        steps.append((name, undo))
    }

    /// Drops the step named `name` without running it: what it would undo was handed over (the
    /// partial directory, once renamed into place, is the backup).
    mutating func forget(_ name: String) {
        steps.removeAll { $0.name == name }
    }

    /// Runs every step, in reverse order, and empties the stack. A failing step is logged as
    /// `teardown: <message>`, as it always was, and the next one runs.
    mutating func run(log: (String) -> Void) {
        while let step = steps.popLast() {
            do {
                try step.undo()
            } catch {
                log("teardown: \((error as? any PgsnapError)?.message ?? String(describing: error))")
            }
        }
    }
}

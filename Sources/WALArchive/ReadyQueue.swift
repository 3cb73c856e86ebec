import Synchronization

/// The `.ready` files one archive-push takes along, handed out one at a time to its worker
/// threads, and how many of them were stored.
final class ReadyQueue: Sendable {
    private let names: [String]
    private let state = Mutex((next: 0, stored: 0))

    init(_ names: [String]) {
        self.names = names
    }

    /// The next name to push, nil when all are taken.
    func take() -> String? {
        state.withLock { state in
            guard state.next < names.count else { return nil }
            state.next += 1
            return names[state.next - 1]
        }
    }

    func markStored() {
        state.withLock { $0.stored += 1 }
    }

    var stored: Int { state.withLock { $0.stored } }
}

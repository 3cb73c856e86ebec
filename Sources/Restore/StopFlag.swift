internal import Synchronization

/// Set once by whichever archive thread fails first, read by all.
final class StopFlag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool {
        value.withLock { $0 }
    }

    func set() {
        value.withLock { $0 = true }
    }
}

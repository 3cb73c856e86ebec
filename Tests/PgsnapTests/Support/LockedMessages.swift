import Foundation
import PostgresClient

/// Server messages a sink received, from whichever thread.
final class LockedMessages: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [ServerMessage] = []

    var all: [ServerMessage] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }

    func append(_ message: ServerMessage) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }
}

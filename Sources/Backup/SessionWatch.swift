import Foundation
import PostgresClient

/// Notices, cheaply and from any thread, that the server ended the backup session. Polled by
/// the archive threads between chunks; the result is cached for a second so the socket is not
/// polled per chunk.
final class SessionWatch: @unchecked Sendable {
    private let session: (any PostgresSession)?
    private let lock = NSLock()
    private var checkedAt = Date.distantPast
    private var isLost = false

    init(session: (any PostgresSession)?) {
        self.session = session
    }

    var lost: Bool {
        guard let session else { return false }
        lock.lock()
        defer { lock.unlock() }
        if !isLost, Date().timeIntervalSince(checkedAt) > 1 {
            checkedAt = Date()
            isLost = session.serverClosedConnection
        }
        return isLost
    }
}

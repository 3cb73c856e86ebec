import Foundation
import PostgresClient

/// Notices that the server ended the backup session during a copy without snapshots. The
/// calling thread polls the session (libpq stays on that one thread); the archive threads read
/// only the answer, between chunks, and stop when it says the session is gone.
final class SessionWatch: @unchecked Sendable {
    private let session: (any PostgresSession)?
    private let lock = NSLock()
    private var isLost = false

    /// `session` nil: nothing to watch (with snapshots, backup mode already ended).
    init(session: (any PostgresSession)?) {
        self.session = session
    }

    /// On the calling thread only.
    func poll() {
        guard let session, !lost else { return }
        let closed = session.serverClosedConnection
        lock.withLock { isLost = closed }
    }

    /// From any thread.
    var lost: Bool {
        lock.withLock { isLost }
    }
}

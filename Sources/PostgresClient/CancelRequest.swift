internal import CLibPQ
import Foundation
internal import Synchronization

/// One `PQcancel` call, bounded in time. `PQcancel` opens its own connection to the server and
/// has no timeout (libpq 15 has no non-blocking cancel; `PQcancelStart` is libpq 17), so during
/// a network partition it can block far longer than a signal may take. It runs on a detached
/// thread that owns the `PGcancel` (independent of the `PGconn`, so the session may finish its
/// connection meanwhile) and frees it when `PQcancel` returns, however late.
final class CancelRequest: Sendable {
    enum Outcome: Equatable {
        /// The server took the request (the statement may still finish before it acts).
        case sent
        /// libpq's reason, one line.
        case failed(String)
        /// No answer within the bound: the caller gives up on the session.
        case noAnswer
    }

    /// Written by the helper thread, read by the waiting one.
    private let outcome = Mutex<Outcome?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    /// Asks the server behind `connection` to cancel its running statement, waiting at most
    /// `seconds` for the cancel connection to finish.
    static func send(for connection: OpaquePointer, within seconds: Double) -> Outcome {
        guard let handle = PQgetCancel(connection) else { return .failed("libpq could not create a cancel request") }
        let request = CancelRequest()
        let owned = Handle(handle)
        let thread = Thread {
            var buffer = [CChar](repeating: 0, count: 256)
            let sent = PQcancel(owned.pointer, &buffer, Int32(buffer.count)) == 1
            PQfreeCancel(owned.pointer)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            request.finish(sent ? .sent : .failed(LibPQSession.oneLine(text)))
        }
        thread.start()
        guard request.finished.wait(timeout: .now() + seconds) == .success else { return .noAnswer }
        return request.outcome.withLock { $0 } ?? .noAnswer
    }

    private func finish(_ result: Outcome) {
        outcome.withLock { $0 = result }
        finished.signal()
    }

    /// A `PGcancel` handed to the helper thread, which alone uses and frees it.
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
    }
}

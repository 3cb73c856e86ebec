internal import CLibPQ

/// Where libpq's notice receiver puts the server's notices for one connection. A separate
/// object from the session because libpq needs the receiver from `PQconnectStartParams` on: the
/// server sends warnings during startup (a collation version mismatch), before the session
/// exists, and libpq's default processor would print them raw on stderr.
///
/// libpq calls the receiver from inside its own calls on this connection, so on the thread
/// using the connection; the owner keeps this object alive until after `PQfinish`.
final class NoticeCollector {
    private var notices: [ServerMessage] = []

    /// Sends the connection's notices here instead of to libpq's default processor.
    func install(on connection: OpaquePointer) {
        PQsetNoticeReceiver(
            connection,
            { argument, result in
                guard let argument, let result else { return }
                Unmanaged<NoticeCollector>.fromOpaque(argument).takeUnretainedValue().receive(result)
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// The notices received since the last call.
    func take() -> [ServerMessage] {
        defer { notices = [] }
        return notices
    }

    private func receive(_ result: OpaquePointer) {
        // A server flooding notices must not grow memory without bound.
        guard notices.count < 50 else { return }
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue ?? 0)).map { String(cString: $0) }
        }
        let severity = field("V") ?? field("S") ?? "NOTICE"
        let text = field("M").map { LibPQSession.oneLine($0) } ?? LibPQSession.oneLine(PQresultErrorMessage(result))
        notices.append(
            ServerMessage(
                severity: LibPQSession.printable(severity, limit: 16),
                text: LibPQSession.printable(text, limit: 500)))
    }
}

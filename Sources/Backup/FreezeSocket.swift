import CSystemShims
import Foundation
import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// The Unix stream socket between the freeze holder and the short commands (`thaw`,
/// `freeze --status`), in the run directory (root only, 0700) with mode 0600. One bounded line
/// each way per connection; a peer that is not root (or the holder's own user) is refused.
final class FreezeSocket {
    let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Why a connect found nobody: no socket file at all, or one nobody listens on (a dead holder).
    enum ConnectFailure: Error {
        case absent
        case refused(String)
    }

    /// Binds and listens at `path`, replacing a dead holder's socket file; 0600 before anyone
    /// can connect (umask), then checked.
    static func listen(at path: String) throws(FreezeError) -> FreezeSocket {
        let socket = try make()
        unlink(path)
        let mask = umask(0o177)
        let bound = withAddress(path) { bind(socket.descriptor, $0, $1) }
        umask(mask)
        guard bound == 0, Glibc.listen(socket.descriptor, 4) == 0 else {
            throw FreezeError(
                code: .holderFailed, detail: "cannot listen on \(path)", underlying: Errno.current.description)
        }
        return socket
    }

    /// Connects to the holder at `path`.
    static func connect(to path: String) throws(ConnectFailure) -> FreezeSocket {
        guard let socket = try? make() else { throw .refused(Errno.current.description) }
        let status = SystemCall.retrying { withAddress(path) { Glibc.connect(socket.descriptor, $0, $1) } }
        guard status == 0 else {
            if errno == ENOENT { throw .absent }
            throw .refused(Errno.current.description)
        }
        socket.setTimeouts(seconds: 5)
        return socket
    }

    /// The next connection, or nil after `timeout` seconds without one.
    func accept(timeout: Double) -> FreezeSocket? {
        var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, Int32(timeout * 1000)) == 1 else { return nil }
        let connection = Glibc.accept(descriptor, nil, nil)
        guard connection >= 0 else { return nil }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        let peer = FreezeSocket(descriptor: connection)
        peer.setTimeouts(seconds: 2)
        return peer
    }

    /// Whether the peer runs as root or as this process's user (SO_PEERCRED).
    var peerIsTrusted: Bool {
        var uid: UInt32 = 0
        guard pgsnap_peer_uid(descriptor, &uid) == 0 else { return false }
        return uid == 0 || uid == geteuid()
    }

    /// One line, without its newline, of at most `limit` bytes; nil on a longer line, EOF before
    /// the newline, or after `wait` seconds (polling `stop` every tenth of a second).
    func readLine(limit: Int, wait: Double, stop: () -> Bool = { false }) -> Data? {
        var line = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(wait)
        while Date() < deadline, !stop() {
            var poll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 100) == 1 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            line.append(contentsOf: buffer[0..<count])
            if let end = line.firstIndex(of: UInt8(ascii: "\n")) { return line.prefix(upTo: end) }
            guard line.count <= limit else { return nil }
        }
        return nil
    }

    /// Writes all of `data` (never SIGPIPE: a peer that went away is only a failed write).
    @discardableResult
    func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = SystemCall.retrying {
                    send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }

    private static func make() throws(FreezeError) -> FreezeSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw FreezeError(
                code: .holderFailed, detail: "cannot create a socket", underlying: Errno.current.description)
        }
        return FreezeSocket(descriptor: descriptor)
    }

    private func setTimeouts(seconds: Int) {
        var time = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `path` as a sockaddr_un; a path too long for one (108 bytes) fails the call with ENAMETOOLONG.
    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}

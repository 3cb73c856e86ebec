import Foundation

/// Private scratch directories for tests, optionally handed to another user.
enum TemporaryDirectory {
    static func make(prefix: String, owner: String? = nil) throws -> String {
        var template = Array((NSTemporaryDirectory().trimmingSuffix("/") + "/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
        guard let path = made else {
            throw Command.Failure(command: "mkdtemp", status: errno, output: String(cString: strerror(errno)))
        }
        if let owner { try Command.output("/bin/chown", [owner, path]) }
        return path
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

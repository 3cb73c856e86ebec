internal import CLibPQ
import Foundation

/// Facts about a libpq connection string, read with libpq's own parser so that every form
/// libpq accepts (`key=value` lists and `postgresql://` URIs) is understood the same way.
public enum ConnectionString {
    /// Whether `conninfo` carries a password. Returns nil when libpq cannot parse it, with its message.
    public static func containsPassword(_ conninfo: String) -> Result<Bool, ConnectionStringError> {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let text = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            return .failure(ConnectionStringError(libpqMessage: text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val, value.pointee != 0 {
                return .success(true)
            }
            option += 1
        }
        return .success(false)
    }
}

/// libpq rejected a connection string; carries libpq's message.
public struct ConnectionStringError: Error, Sendable, Equatable {
    public let libpqMessage: String
}

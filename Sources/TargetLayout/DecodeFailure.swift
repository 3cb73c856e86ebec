/// One line for why a JSON file of a backup did not decode, naming the file and the key, the
/// way a DBA looking at the file with an editor can find it: `backup.json: key 'stop_lsn':
/// expected a string, found a number`. Foundation's own descriptions name neither.
public enum DecodeFailure {
    public static func describe(_ error: any Error, file: String) -> String {
        guard let error = error as? DecodingError else { return "\(file): \(error)" }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(file): \(location(context)): expected \(name(type))"
        case .valueNotFound(let type, let context):
            return "\(file): \(location(context)): expected \(name(type)), found null"
        case .keyNotFound(let key, let context):
            return "\(file): \(location(context, adding: key.stringValue)): missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "\(file): not valid JSON" }
            return "\(file): \(location(context)): \(context.debugDescription)"
        @unknown default:
            return "\(file): \(error)"
        }
    }

    /// `key 'tablespaces[0].oid'`, or `the top level`.
    private static func location(_ context: DecodingError.Context, adding key: String? = nil) -> String {
        var path = ""
        for component in context.codingPath {
            if let index = component.intValue {
                path += "[\(index)]"
            } else {
                path += (path.isEmpty ? "" : ".") + component.stringValue
            }
        }
        if let key { path += (path.isEmpty ? "" : ".") + key }
        return path.isEmpty ? "the top level" : "key '\(path)'"
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        case is Int.Type, is Int32.Type, is Int64.Type: return "an integer"
        case is UInt32.Type, is UInt64.Type: return "a non-negative integer"
        default:
            let text = "\(type)"
            if text.hasPrefix("Array") { return "an array" }
            if text.hasPrefix("Dictionary") { return "an object" }
            if text.contains("Date") { return "an ISO-8601 time like 2026-11-24T21:33:15Z" }
            return "a \(text)"
        }
    }
}

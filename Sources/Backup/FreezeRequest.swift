public import Foundation

/// One line a short command sends the freeze holder over its socket: `status` or `thaw`.
/// The holder trusts nothing in it: `decode` bounds the line and checks every field.
public struct FreezeRequest: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        /// `abort`: `snapshot-exec`'s command failed; end backup mode and record the failure.
        case status, thaw, abort
    }

    public var operation: Operation
    /// The storage system's name for its snapshot (`thaw --snapshot-name`).
    public var snapshotName: String?
    /// `abort`: why (one line), and the command's exit code the failed record keeps.
    public var reason: String?
    public var exitCode: Int32?

    /// The longest request line the holder reads.
    public static let maximumBytes = 4096
    /// The longest snapshot name the record keeps.
    public static let maximumSnapshotName = 255

    public init(operation: Operation, snapshotName: String? = nil, reason: String? = nil, exitCode: Int32? = nil) {
        self.operation = operation
        self.snapshotName = snapshotName
        self.reason = reason
        self.exitCode = exitCode
    }

    enum CodingKeys: String, CodingKey {
        case operation = "op"
        case snapshotName = "snapshot_name"
        case reason
        case exitCode = "exit_code"
    }

    /// Whether `name` may go into the record: one printable line of at most 255 bytes.
    public static func isValidSnapshotName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumSnapshotName
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The request in `line` (without its newline), or nil when it is not one.
    public static func decode(_ line: Data) -> FreezeRequest? {
        guard line.count <= maximumBytes, let request = try? JSONDecoder().decode(FreezeRequest.self, from: line)
        else { return nil }
        if let name = request.snapshotName, !isValidSnapshotName(name) { return nil }
        if let reason = request.reason, reason.utf8.count > 1024 || reason.contains("\n") { return nil }
        if request.operation == .abort, request.reason == nil || request.exitCode == nil { return nil }
        return request
    }

    /// One JSON line.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }
}

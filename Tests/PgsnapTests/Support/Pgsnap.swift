import Foundation
import Testing

/// Runs the built `pgsnap` executable the way a user or script does.
enum Pgsnap {
    /// `PGSNAP_BIN`, or the debug build next to the test bundle's package.
    static let path: String = {
        if let path = ProcessInfo.processInfo.environment["PGSNAP_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/pgsnap").path
    }()

    struct Run {
        let status: Int32
        let output: String
        let stdout: String

        /// stdout parsed as a JSON object.
        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(stdout)")
        }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: path), "build pgsnap first: \(path)")
        // No /etc/pgsnap/pgsnap.conf on test machines should leak into a test.
        let result = Command.run(path, arguments, environment: environment)
        return Run(status: result.status, output: result.output, stdout: result.stdout)
    }
}

import Foundation

/// The package's own Swift sources, read by tests that keep a boundary rule (one file calls
/// strerror, one module imports libdevmapper) from quietly eroding.
enum SourceFiles {
    /// `Sources/`, found from this file's place in the package.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// Paths relative to `root` (sorted) of the Swift files whose text contains `needle`.
    static func containing(_ needle: String, under root: URL = Self.root) throws -> [String] {
        let prefix = root.standardizedFileURL.path + "/"
        guard let walker = FileManager.default.enumerator(atPath: root.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: root.path])
        }
        var found: [String] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let text = try String(contentsOfFile: prefix + relative, encoding: .utf8)
            if text.contains(needle) { found.append(relative) }
        }
        return found.sorted()
    }

    /// The modules (first path component under `Sources/`) whose files contain `needle`.
    static func modules(containing needle: String) throws -> Set<String> {
        Set(try containing(needle).compactMap { $0.split(separator: "/").first.map(String.init) })
    }
}

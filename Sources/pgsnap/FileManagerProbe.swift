import Foundation

/// Existence test kept apart so that a default file that exists but is broken is reported,
/// while a missing default file is simply not used.
enum FileManagerProbe {
    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }
}

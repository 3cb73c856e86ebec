/// Where a setting's value came from, so errors can point at the file line or the flag.
public enum SettingOrigin: Sendable, Equatable, CustomStringConvertible {
    case file(path: String, line: Int)
    case flag(String)
    case defaultValue

    public var description: String {
        switch self {
        case .file(let path, let line): return "\(path):\(line)"
        case .flag(let name): return name
        case .defaultValue: return "default"
        }
    }
}

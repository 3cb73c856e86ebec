/// The commands whose runs the metrics file reports, as its `command` label spells them.
public enum MetricsCommand: String, Sendable, CaseIterable {
    case backup
    case verify
    case prune
}

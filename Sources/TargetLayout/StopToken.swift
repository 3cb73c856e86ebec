/// What tells long work to stop. In pgsnap it is the recorded SIGINT, SIGTERM or SIGHUP
/// (`Interruption`); in tests a scripted one. It is passed in (`BackupEnvironment.stop`,
/// `Restorer`'s `shouldStop`) rather than read from the global, so an orchestration test can
/// stop a run at the point it chooses and check what teardown leaves.
public struct StopToken: Sendable {
    /// The signal that asked to stop; nil while the work may go on.
    public let signal: @Sendable () -> Int32?

    public init(signal: @escaping @Sendable () -> Int32?) {
        self.signal = signal
    }

    public var isStopped: Bool { signal() != nil }

    /// The signals pgsnap's handlers recorded.
    public static let signals = StopToken { Interruption.signal }
}

public import Foundation

/// One finished run of a command, as the metrics file reports it.
public struct CommandRun: Sendable, Equatable {
    public var command: MetricsCommand
    public var startedAt: Date
    public var finishedAt: Date
    /// The exit status the process ends with (docs/exit-codes.md).
    public var exitStatus: Int32

    public init(command: MetricsCommand, startedAt: Date, finishedAt: Date, exitStatus: Int32) {
        self.command = command
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitStatus = exitStatus
    }
}

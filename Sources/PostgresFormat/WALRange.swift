/// A stretch of WAL a restore must replay, on one timeline: `backup_manifest`'s `WAL-Ranges`.
///
/// A backup that spans a timeline switch (taken on a standby that was promoted) has one range
/// per timeline, newest first, as PostgreSQL lists them.
public struct WALRange: Sendable, Equatable {
    public var timeline: UInt32
    public var start: LSN
    public var end: LSN

    public init(timeline: UInt32, start: LSN, end: LSN) {
        self.timeline = timeline
        self.start = start
        self.end = end
    }
}

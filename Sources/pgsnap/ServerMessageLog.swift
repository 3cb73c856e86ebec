import Logging
import PostgresClient

/// Where the server's notices go: pgsnap's own log, marked `server:`, at the level that
/// matches their severity, so a successful run stays silent at the default level (warning)
/// while a server WARNING about what pgsnap asked still reaches the operator. Warnings sent
/// while connecting are about the database, not the backup (a collation version mismatch after
/// an OS upgrade, repeated on every connection): they go to `info`, so cron stays silent.
enum ServerMessageLog {
    static func sink(_ logger: Logger) -> @Sendable (ServerMessage) -> Void {
        { message in
            switch message.severity {
            case "WARNING" where !message.duringConnection: logger.warning("\(message.description)")
            case "WARNING": logger.info("\(message.description)")
            case "NOTICE", "INFO": logger.info("\(message.description)")
            default: logger.debug("\(message.description)")
            }
        }
    }
}

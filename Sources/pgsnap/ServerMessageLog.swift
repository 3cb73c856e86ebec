import Logging
import PostgresClient

/// Where the server's notices go: pgsnap's own log, marked `server:`, at the level that
/// matches their severity, so a successful run stays silent at the default level (warning)
/// while a server WARNING still reaches the operator.
enum ServerMessageLog {
    static func sink(_ logger: Logger) -> @Sendable (ServerMessage) -> Void {
        { message in
            switch message.severity {
            case "WARNING": logger.warning("\(message.description)")
            case "NOTICE", "INFO": logger.info("\(message.description)")
            default: logger.debug("\(message.description)")
            }
        }
    }
}

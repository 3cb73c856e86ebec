import Backup
import Foundation

/// How `freeze`, `thaw` and `freeze --status` print their `--json`: the holder's reply,
/// pretty-printed, with ISO-8601 times like the records.
enum FreezeOutput {
    static func printJSON(_ reply: FreezeReply) {
        guard let data = try? FreezeReply.encoder(pretty: true).encode(reply) else { return }
        print(String(decoding: data, as: UTF8.self))
    }
}

public import Foundation

/// The one JSON style of backup.json, for every record kind (complete, failed) and every
/// reader (catalog, restore, verify): sorted keys, pretty-printed, ISO-8601 times.
public enum RecordCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

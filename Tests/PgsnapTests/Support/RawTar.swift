import Foundation

/// ustar archives built byte by byte, for members pgsnap itself would never write (`../x`,
/// absolute paths, links out of the tree), and a reader that finds members in a real archive
/// so tests can splice into it or change one file's bytes.
///
/// Written here rather than with the Archive module's encoder, which (rightly) has no way to
/// produce a hostile archive.
enum RawTar {
    /// ustar typeflags.
    enum Kind: UInt8 {
        case file = 0x30  // "0"
        case hardLink = 0x31  // "1"
        case symlink = 0x32  // "2"
        case directory = 0x35  // "5"
    }

    /// A fixed modification time for built members: 2023-11-14 22:13:20 UTC.
    static let modificationTime = 1_700_000_000
    /// `modificationTime` as backup_manifest writes it.
    static let manifestModificationTime = "2023-11-14 22:13:20 GMT"

    /// One 512-byte ustar header with a correct checksum.
    static func header(
        name: String, kind: Kind, size: Int = 0, mode: UInt32 = 0o600, linkName: String = "",
        uid: UInt32 = 0, gid: UInt32 = 0
    ) -> [UInt8] {
        precondition(name.utf8.count <= 100 && linkName.utf8.count <= 100, "ustar name field is 100 bytes")
        var block = [UInt8](repeating: 0, count: 512)
        put(Array(name.utf8), into: &block, at: 0)
        put(octal(Int(mode), width: 8), into: &block, at: 100)
        put(octal(Int(uid), width: 8), into: &block, at: 108)
        put(octal(Int(gid), width: 8), into: &block, at: 116)
        put(octal(size, width: 12), into: &block, at: 124)
        put(octal(modificationTime, width: 12), into: &block, at: 136)
        block[156] = kind.rawValue
        put(Array(linkName.utf8), into: &block, at: 157)
        put(Array("ustar\u{0}00".utf8), into: &block, at: 257)
        put(Array("root".utf8), into: &block, at: 265)
        put(Array("root".utf8), into: &block, at: 297)
        // The checksum is the byte sum with the checksum field itself taken as eight spaces.
        put([UInt8](repeating: 0x20, count: 8), into: &block, at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], into: &block, at: 148)
        return block
    }

    /// A regular file member: header, data, padding to the next block.
    static func file(_ name: String, _ contents: [UInt8], mode: UInt32 = 0o600) -> [UInt8] {
        header(name: name, kind: .file, size: contents.count, mode: mode) + padded(contents)
    }

    static func file(_ name: String, _ text: String) -> [UInt8] { file(name, Array(text.utf8)) }

    static func directory(_ name: String) -> [UInt8] { header(name: name, kind: .directory, mode: 0o700) }

    static func symlink(_ name: String, to target: String) -> [UInt8] {
        header(name: name, kind: .symlink, mode: 0o777, linkName: target)
    }

    /// A hard link: mode 0644 owned by root, so that an extractor which (wrongly) applies the
    /// member's metadata to the link target changes nothing on a file like /etc/passwd.
    static func hardLink(_ name: String, to target: String) -> [UInt8] {
        header(name: name, kind: .hardLink, mode: 0o644, linkName: target)
    }

    /// The two zero blocks that end an archive.
    static let end = [UInt8](repeating: 0, count: 1024)

    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    // MARK: - Reading

    /// One member of an existing archive.
    struct Member {
        /// Full path (pax `path`, or ustar prefix + name).
        var name: String
        var typeflag: UInt8
        /// Where the member begins, including any pax or GNU long-name headers in front of it.
        var start: Int
        /// Offset of its data and the data's length.
        var dataOffset: Int
        var size: Int
    }

    /// The members of an uncompressed tar in order, up to the end-of-archive blocks.
    static func members(of tar: [UInt8]) throws -> [Member] {
        var members: [Member] = []
        var offset = 0
        var pendingStart: Int?
        var pendingPath: String?
        while offset + 512 <= tar.count {
            let block = tar[offset..<(offset + 512)]
            if block.allSatisfy({ $0 == 0 }) { break }
            let typeflag = tar[offset + 156]
            let size = try number(tar[(offset + 124)..<(offset + 136)])
            let dataOffset = offset + 512
            let next = dataOffset + (size + 511) / 512 * 512
            guard next <= tar.count else {
                throw Command.Failure(command: "RawTar.members", status: 1, output: "truncated at \(offset)")
            }
            switch typeflag {
            case UInt8(ascii: "x"):
                pendingStart = pendingStart ?? offset
                pendingPath = paxPath(Array(tar[dataOffset..<(dataOffset + size)])) ?? pendingPath
            case UInt8(ascii: "L"):
                pendingStart = pendingStart ?? offset
                pendingPath = String(decoding: tar[dataOffset..<(dataOffset + size)].prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "g"), UInt8(ascii: "K"):
                pendingStart = pendingStart ?? offset
            default:
                let name = cString(tar[offset..<(offset + 100)])
                let prefix = cString(tar[(offset + 345)..<(offset + 500)])
                let ustarName = prefix.isEmpty ? name : prefix + "/" + name
                members.append(
                    Member(
                        name: pendingPath ?? ustarName, typeflag: typeflag, start: pendingStart ?? offset,
                        dataOffset: dataOffset, size: size))
                pendingStart = nil
                pendingPath = nil
            }
            offset = next
        }
        return members
    }

    /// The first member whose name, without a leading "./" and trailing "/", is `name`.
    static func member(_ name: String, in tar: [UInt8]) throws -> Member? {
        try members(of: tar).first { normalized($0.name) == name }
    }

    static func normalized(_ name: String) -> String {
        var result = name
        while result.hasPrefix("./") { result.removeFirst(2) }
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }

    // MARK: - Fields

    private static func put(_ bytes: [UInt8], into block: inout [UInt8], at offset: Int) {
        block.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    /// `value` in octal, zero-padded to `width - 1` digits and NUL-terminated.
    static func octal(_ value: Int, width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        precondition(digits.count < width, "\(value) does not fit in \(width) octal bytes")
        return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
    }

    private static func number(_ field: ArraySlice<UInt8>) throws -> Int {
        if let first = field.first, first & 0x80 != 0 {  // base-256 (GNU/star)
            return field.dropFirst().reduce(Int(first & 0x7f)) { $0 << 8 | Int($1) }
        }
        let text = String(decoding: field.prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return 0 }
        guard let value = Int(text, radix: 8) else {
            throw Command.Failure(command: "RawTar.number", status: 1, output: "bad octal field \(text)")
        }
        return value
    }

    private static func cString(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The `path` record of a pax extended header ("<len> path=<value>\n" records).
    private static func paxPath(_ data: [UInt8]) -> String? {
        var rest = data[...]
        while let space = rest.firstIndex(of: 0x20), let length = Int(String(decoding: rest[..<space], as: UTF8.self)),
            length > 0, rest.count >= length
        {
            let record = rest[rest.index(after: space)..<(rest.startIndex + length - 1)]
            if record.starts(with: Array("path=".utf8)) {
                return String(decoding: record.dropFirst(5), as: UTF8.self)
            }
            rest = rest[(rest.startIndex + length)...]
        }
        return nil
    }
}

import PostgresFormat

/// Reads tar members one at a time from a stream of bytes, with pax (`x`, `g`) and GNU long-name
/// (`L`, `K`) extensions applied, and checks every header's checksum.
///
/// Pull-based so that the caller decides, member by member, whether to write the content
/// somewhere, checksum it or refuse the member. The reader never touches the filesystem: safety
/// decisions belong to the extractor.
public final class TarReader {
    /// Fills the buffer from the start; returns fewer bytes only at the end of the stream.
    public typealias Source = (UnsafeMutableRawBufferPointer) throws -> Int

    private let source: Source
    private var block = [UInt8](repeating: 0, count: 512)
    /// Content bytes of the current member not yet read by the caller.
    private var remaining: UInt64 = 0
    private var padding = 0
    private var finished = false
    private var scratch = [UInt8](repeating: 0, count: 1 << 20)
    private var globalPax: [String: [UInt8]] = [:]

    public init(source: @escaping Source) {
        self.source = source
    }

    /// The next member, or nil after the end-of-archive marker. Skips whatever the caller left
    /// unread of the previous member.
    ///
    /// Before returning nil the rest of the stream is read and discarded: a decompressing source
    /// only checks its frame checksum, and notices a file cut short, when it reaches its end.
    public func next() throws -> TarMember? {
        if finished { return nil }
        try skipRest()
        var pax: [String: [UInt8]] = globalPax
        var longName: [UInt8]?
        var longLink: [UInt8]?
        while true {
            guard try readBlock() else { throw TarReadError.truncated }
            if block.allSatisfy({ $0 == 0 }) {
                // Two zero blocks end the archive; GNU tar accepts one, and so do we, but a stream
                // that simply stops after it is still complete.
                finished = true
                try drain()
                return nil
            }
            try checkChecksum()
            let type = block[156]
            let size = try number(at: 124, width: 12, name: "size")
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"):
                let records = try PaxParser.parse(try readSmall(size, what: "pax header"))
                if type == UInt8(ascii: "g") {
                    globalPax.merge(records) { $1 }
                } else {
                    pax.merge(records) { $1 }
                }
                continue
            case UInt8(ascii: "L"):
                longName = Self.trimmingNUL(try readSmall(size, what: "GNU long name"))
                continue
            case UInt8(ascii: "K"):
                longLink = Self.trimmingNUL(try readSmall(size, what: "GNU long link"))
                continue
            default:
                break
            }
            var path = longName ?? ustarName()
            if let value = pax["path"] { path = value }
            var link = longLink ?? field(at: 157, width: 100)
            if let value = pax["linkpath"] { link = value }
            let kind: TarMember.Kind
            switch type {
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"): kind = .file
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "1"): kind = .hardLink
            default: kind = .other(type)
            }
            var memberSize = size
            if let value = pax["size"] {
                guard let parsed = UInt64(String(decoding: value, as: UTF8.self)) else {
                    throw TarReadError.malformed("pax size \"\(String(decoding: value, as: UTF8.self))\"")
                }
                memberSize = parsed
            }
            while path.count > 1 && path.last == UInt8(ascii: "/") { path.removeLast() }
            let member = TarMember(
                kind: kind, path: RawPath(bytes: path),
                mode: UInt32(truncatingIfNeeded: try number(at: 100, width: 8, name: "mode")) & 0o7777,
                uid: try paxNumber(pax["uid"])
                    ?? UInt32(truncatingIfNeeded: try number(at: 108, width: 8, name: "uid")),
                gid: try paxNumber(pax["gid"])
                    ?? UInt32(truncatingIfNeeded: try number(at: 116, width: 8, name: "gid")),
                modificationTime: try paxTime(pax["mtime"])
                    ?? Int64(truncatingIfNeeded: try number(at: 136, width: 12, name: "mtime")),
                size: kind == .file ? memberSize : 0,
                linkTarget: (kind == .symlink || kind == .hardLink) ? RawPath(bytes: link) : nil)
            // Whatever the type, the archive holds `size` data bytes after the header.
            remaining = memberSize
            padding = Int((512 - memberSize % 512) % 512)
            return member
        }
    }

    /// Hands the current member's content to `body` in chunks, then consumes its padding.
    /// Archive problems are thrown as `TarReadError`; whatever `body` throws passes through.
    public func readContent(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while remaining > 0 {
            let want = Int(min(UInt64(scratch.count), remaining))
            let count = try scratch.withUnsafeMutableBytes { buffer in
                try source(UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
            }
            if count < want { throw TarReadError.truncated }
            remaining -= UInt64(count)
            try scratch.withUnsafeBytes { buffer in
                try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            }
        }
        try skipPadding()
    }

    // MARK: - Blocks

    private func readBlock() throws -> Bool {
        let count = try block.withUnsafeMutableBytes { buffer in try source(buffer) }
        if count == 0 { return false }
        if count < 512 { throw TarReadError.truncated }
        return true
    }

    /// Reads the source to its end (the second zero block, blocking-factor padding, and for a
    /// .zst source the frame checksum), ignoring the bytes as tar readers do.
    private func drain() throws {
        while true {
            let count = try scratch.withUnsafeMutableBytes { buffer in try source(buffer) }
            if count < scratch.count { return }
        }
    }

    private func skipRest() throws {
        try readContent { _ in }
    }

    private func skipPadding() throws {
        guard padding > 0 else { return }
        let want = padding
        let count = try scratch.withUnsafeMutableBytes { buffer in
            try source(UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
        }
        if count < want { throw TarReadError.truncated }
        padding = 0
    }

    /// The content of a metadata member (pax, long name), bounded so a hostile size cannot
    /// exhaust memory.
    private func readSmall(_ size: UInt64, what: String) throws -> [UInt8] {
        guard size <= 1 << 20 else { throw TarReadError.malformed("\(what) of \(size) bytes") }
        var bytes: [UInt8] = []
        remaining = size
        padding = Int((512 - size % 512) % 512)
        try readContent { chunk in bytes += chunk }
        return bytes
    }

    // MARK: - Header fields

    private func checkChecksum() throws {
        let stored = try number(at: 148, width: 8, name: "checksum")
        var unsigned: UInt64 = 0
        var signed: Int64 = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += UInt64(value)
            signed += Int64(Int8(bitPattern: value))
        }
        guard stored == unsigned || Int64(stored) == signed else {
            throw TarReadError.malformed("header checksum mismatch")
        }
    }

    private func ustarName() -> [UInt8] {
        let name = field(at: 0, width: 100)
        // Only POSIX headers ("ustar\0") have a prefix there; GNU ones ("ustar  \0") keep atime
        // and ctime at 345 (tar --incremental fills them), which are not part of the name.
        let isPosix = block[257..<263].elementsEqual("ustar\0".utf8)
        let prefix = isPosix ? field(at: 345, width: 155) : []
        return prefix.isEmpty ? name : prefix + [UInt8(ascii: "/")] + name
    }

    private func field(at offset: Int, width: Int) -> [UInt8] {
        let slice = block[offset..<(offset + width)]
        if let end = slice.firstIndex(of: 0) { return Array(block[offset..<end]) }
        return Array(slice)
    }

    /// An octal field, or GNU's base-256 form (high bit of the first byte set).
    private func number(at offset: Int, width: Int, name: String) throws -> UInt64 {
        let bytes = block[offset..<(offset + width)]
        if let first = bytes.first, first & 0x80 != 0 {
            var value: UInt64 = UInt64(first & 0x7f)
            for byte in bytes.dropFirst() {
                guard value >> 56 == 0 else { throw TarReadError.malformed("\(name) field overflows") }
                value = value << 8 | UInt64(byte)
            }
            return value
        }
        var value: UInt64 = 0
        var seenDigit = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard value >> 61 == 0 else { throw TarReadError.malformed("\(name) field overflows") }
                value = value << 3 | UInt64(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " ") where !seenDigit:
                continue
            case 0, UInt8(ascii: " "):
                return value
            default:
                throw TarReadError.malformed("\(name) field is not a number")
            }
        }
        return value
    }

    private func paxNumber(_ value: [UInt8]?) throws -> UInt32? {
        guard let value else { return nil }
        guard let number = UInt32(String(decoding: value, as: UTF8.self)) else {
            throw TarReadError.malformed("pax id \"\(String(decoding: value, as: UTF8.self))\"")
        }
        return number
    }

    /// pax times may carry a fraction ("1700000000.123"); whole seconds are enough here.
    private func paxTime(_ value: [UInt8]?) throws -> Int64? {
        guard let value else { return nil }
        let text = String(decoding: value, as: UTF8.self)
        guard let seconds = Int64(text.split(separator: ".", maxSplits: 1).first ?? "") else {
            throw TarReadError.malformed("pax mtime \"\(text)\"")
        }
        return seconds
    }

    private static func trimmingNUL(_ bytes: [UInt8]) -> [UInt8] {
        if let end = bytes.firstIndex(of: 0) { return Array(bytes[..<end]) }
        return bytes
    }
}

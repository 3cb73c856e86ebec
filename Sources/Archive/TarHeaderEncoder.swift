internal import Glibc

/// Encodes a `TarHeader` as one POSIX ustar block, preceded by a pax extended header (typeflag
/// `x`) for whatever ustar cannot hold: paths beyond its 100+155 bytes, link targets beyond
/// 100, sizes from 8 GiB, large ids, times before 1970. GNU tar and bsdtar both read pax.
struct TarHeaderEncoder {
    static let blockSize = 512

    private var userNames: [UInt32: [UInt8]] = [:]
    private var groupNames: [UInt32: [UInt8]] = [:]

    /// The header block(s) for `header`, a multiple of 512 bytes.
    mutating func encode(_ header: TarHeader) throws(ArchiveError) -> [UInt8] {
        guard !header.path.isEmpty else {
            throw ArchiveError(code: .unrepresentable, path: "(empty)", reason: "a member needs a name")
        }
        var path = header.path.bytes
        if header.kind == .directory && path.last != UInt8(ascii: "/") { path.append(UInt8(ascii: "/")) }

        var pax = PaxRecords()
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        if let (prefix, name) = Self.splitUstarName(path) {
            Self.put(name, into: &block, at: 0, width: 100)
            Self.put(prefix, into: &block, at: 345, width: 155)
        } else {
            pax.add("path", path)
            Self.put(path.prefix(100), into: &block, at: 0, width: 100)
        }
        if let target = header.linkTarget?.bytes {
            if target.count > 100 { pax.add("linkpath", target) }
            Self.put(target.prefix(100), into: &block, at: 157, width: 100)
        }

        Self.putOctal(UInt64(header.mode & 0o7777), into: &block, at: 100, width: 8)
        if !Self.putNumber(UInt64(header.uid), into: &block, at: 108, width: 8) { pax.add("uid", "\(header.uid)") }
        if !Self.putNumber(UInt64(header.gid), into: &block, at: 116, width: 8) { pax.add("gid", "\(header.gid)") }
        if !Self.putNumber(header.size, into: &block, at: 124, width: 12) { pax.add("size", "\(header.size)") }
        let timeFits =
            header.modificationTime >= 0
            && Self.putOctal(UInt64(header.modificationTime), into: &block, at: 136, width: 12)
        if !timeFits {
            pax.add("mtime", "\(header.modificationTime)")
            Self.putOctal(header.modificationTime < 0 ? 0 : 0o77777777777, into: &block, at: 136, width: 12)
        }
        block[156] =
            switch header.kind {
            case .file: UInt8(ascii: "0")
            case .symlink: UInt8(ascii: "2")
            case .directory: UInt8(ascii: "5")
            }
        Self.put(Array("ustar".utf8), into: &block, at: 257, width: 6)
        Self.put(Array("00".utf8), into: &block, at: 263, width: 2)
        // Names let a restore on another machine map owners by name (tar's default as root).
        Self.put(userName(header.uid), into: &block, at: 265, width: 32)
        Self.put(groupName(header.gid), into: &block, at: 297, width: 32)
        Self.putOctal(0, into: &block, at: 329, width: 8)
        Self.putOctal(0, into: &block, at: 337, width: 8)
        Self.sealChecksum(&block)

        guard !pax.isEmpty else { return block }
        return paxHeader(pax.encoded(), for: header, path: path) + block
    }

    /// The two zero blocks that end an archive.
    static var endOfArchive: [UInt8] { [UInt8](repeating: 0, count: 2 * blockSize) }

    /// Zeros that pad `length` bytes of content to a whole block.
    static func padding(after length: UInt64) -> Int {
        let remainder = Int(length % UInt64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    // MARK: - Pax

    private func paxHeader(_ records: [UInt8], for header: TarHeader, path: [UInt8]) -> [UInt8] {
        // The pax member's own name only has to be unique-looking and short; readers ignore it.
        let base = Array(path.split(separator: UInt8(ascii: "/")).last ?? [])
        var name = Array("PaxHeaders/".utf8) + base.prefix(80)
        if name.count > 99 { name = Array(name.prefix(99)) }
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        Self.put(name, into: &block, at: 0, width: 100)
        Self.putOctal(0o644, into: &block, at: 100, width: 8)
        Self.putOctal(UInt64(min(header.uid, 0o7777777)), into: &block, at: 108, width: 8)
        Self.putOctal(UInt64(min(header.gid, 0o7777777)), into: &block, at: 116, width: 8)
        Self.putOctal(UInt64(records.count), into: &block, at: 124, width: 12)
        Self.putOctal(UInt64(min(max(header.modificationTime, 0), 0o77777777777)), into: &block, at: 136, width: 12)
        block[156] = UInt8(ascii: "x")
        Self.put(Array("ustar".utf8), into: &block, at: 257, width: 6)
        Self.put(Array("00".utf8), into: &block, at: 263, width: 2)
        Self.putOctal(0, into: &block, at: 329, width: 8)
        Self.putOctal(0, into: &block, at: 337, width: 8)
        Self.sealChecksum(&block)
        let padding = [UInt8](repeating: 0, count: Self.padding(after: UInt64(records.count)))
        return block + records + padding
    }

    // MARK: - Fields

    /// ustar's split of a long path into prefix (155) and name (100) at a slash; nil when no
    /// split fits and pax must carry the path.
    static func splitUstarName(_ path: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
        if path.count <= 100 { return ([], path[...]) }
        guard path.count <= 256 else { return nil }
        // Shortest prefix whose remainder fits; the name part must not be empty.
        let lowest = max(1, path.count - 101)
        let highest = min(155, path.count - 2)
        guard lowest <= highest else { return nil }
        for index in lowest...highest where path[index] == UInt8(ascii: "/") {
            return (path[..<index], path[(index + 1)...])
        }
        return nil
    }

    private static func put(_ bytes: some Collection<UInt8>, into block: inout [UInt8], at offset: Int, width: Int) {
        for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
    }

    /// Zero-padded octal in `width - 1` digits and a NUL; false (field untouched) if too large.
    @discardableResult
    private static func putOctal(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) -> Bool {
        let digits = width - 1
        guard value < (UInt64(1) << (3 * UInt64(digits))) else { return false }
        var remaining = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            block[offset + index] = UInt8(ascii: "0") + UInt8(remaining & 7)
            remaining >>= 3
        }
        block[offset + digits] = 0
        return true
    }

    /// Octal when it fits; otherwise GNU's base-256 (high bit set, big-endian) so old readers
    /// still skip the right amount of data, and false so the caller adds the pax record too.
    private static func putNumber(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) -> Bool {
        if putOctal(value, into: &block, at: offset, width: width) { return true }
        for index in 0..<width { block[offset + index] = 0 }
        var remaining = value
        for index in stride(from: width - 1, through: 1, by: -1) {
            block[offset + index] = UInt8(remaining & 0xff)
            remaining >>= 8
        }
        block[offset] = 0x80
        return false
    }

    private static func sealChecksum(_ block: inout [UInt8]) {
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(UInt64(0)) { $0 + UInt64($1) }
        putOctal(sum, into: &block, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
    }

    // MARK: - Owner names

    private mutating func userName(_ uid: UInt32) -> [UInt8] {
        if let name = userNames[uid] { return name }
        let name = Self.lookUpName { buffer, size in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let rc = getpwuid_r(uid, &entry, buffer, size, &result)
            guard rc == 0, result != nil, let name = entry.pw_name else { return rc == ERANGE ? nil : [] }
            return Array(String(cString: name).utf8)
        }
        userNames[uid] = name
        return name
    }

    private mutating func groupName(_ gid: UInt32) -> [UInt8] {
        if let name = groupNames[gid] { return name }
        let name = Self.lookUpName { buffer, size in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            let rc = getgrgid_r(gid, &entry, buffer, size, &result)
            guard rc == 0, result != nil, let name = entry.gr_name else { return rc == ERANGE ? nil : [] }
            return Array(String(cString: name).utf8)
        }
        groupNames[gid] = name
        return name
    }

    /// Calls `lookup` with growing buffers until it stops answering ERANGE (nil); names that
    /// do not fit the 32-byte field are left out, and readers fall back to the numeric id.
    private static func lookUpName(_ lookup: (UnsafeMutablePointer<CChar>, Int) -> [UInt8]?) -> [UInt8] {
        var size = 1024
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let found = buffer.withUnsafeMutableBufferPointer { storage -> [UInt8]? in
                guard let base = storage.baseAddress else { return [] }
                return lookup(base, storage.count)
            }
            if let found { return found.count < 32 ? found : [] }
            size *= 4
        }
        return []
    }
}

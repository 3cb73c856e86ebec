/// Recognises relation file names the way PostgreSQL does (`parse_filename_for_nontemp_relation`
/// in reinit.c, `looks_like_temp_rel_name` in fd.c), so the archive leaves out exactly the
/// files pg_basebackup leaves out.
enum RelationFileName {
    /// A relation's forks; `main` has no suffix in file names.
    enum Fork: Equatable {
        case main, freeSpaceMap, visibilityMap, initialization
    }

    /// A permanent or unlogged relation's file: `<relfilenumber>[_<fork>][.<segment>]`.
    /// Returns the relfilenumber's digits and the fork, or nil for anything else.
    static func parseNonTemporary(_ name: [UInt8]) -> (number: ArraySlice<UInt8>, fork: Fork)? {
        let digits = leadingDigits(name, from: 0)
        // OIDCHARS: a relfilenumber has at most 10 digits.
        guard digits > 0, digits <= 10 else { return nil }
        var position = digits
        var fork = Fork.main
        if position < name.count, name[position] == UInt8(ascii: "_") {
            guard let (parsed, length) = forkName(name, at: position + 1) else { return nil }
            fork = parsed
            position += 1 + length
        }
        guard let end = segmentSuffixEnd(name, at: position), end == name.count else { return nil }
        return (name[0..<digits], fork)
    }

    /// A temporary relation's file: `t<backend>_<relfilenumber>[_<fork>][.<segment>]`.
    static func looksTemporary(_ name: [UInt8]) -> Bool {
        guard name.first == UInt8(ascii: "t") else { return false }
        let backend = leadingDigits(name, from: 1)
        guard backend > 0, 1 + backend < name.count, name[1 + backend] == UInt8(ascii: "_") else { return false }
        var position = 2 + backend
        let number = leadingDigits(name, from: position)
        guard number > 0 else { return false }
        position += number
        if position < name.count, name[position] == UInt8(ascii: "_") {
            guard let (_, length) = forkName(name, at: position + 1) else { return false }
            position += 1 + length
        }
        guard let end = segmentSuffixEnd(name, at: position) else { return false }
        return end == name.count
    }

    /// `forkname_chars`: the fork whose name starts at `position` (a prefix match, like
    /// PostgreSQL's), and its length. `main` is never spelled out.
    private static func forkName(_ name: [UInt8], at position: Int) -> (Fork, Int)? {
        let forks: [(String, Fork)] = [("fsm", .freeSpaceMap), ("vm", .visibilityMap), ("init", .initialization)]
        let rest = name[min(position, name.count)...]
        for (spelling, fork) in forks where rest.starts(with: spelling.utf8) {
            return (fork, spelling.utf8.count)
        }
        return nil
    }

    /// The end of an optional `.<digits>` segment suffix at `position`, or nil when a dot is
    /// not followed by digits.
    private static func segmentSuffixEnd(_ name: [UInt8], at position: Int) -> Int? {
        guard position < name.count, name[position] == UInt8(ascii: ".") else { return position }
        let digits = leadingDigits(name, from: position + 1)
        return digits > 0 ? position + 1 + digits : nil
    }

    private static func leadingDigits(_ name: [UInt8], from start: Int) -> Int {
        var index = start
        while index < name.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(name[index]) { index += 1 }
        return index - start
    }
}

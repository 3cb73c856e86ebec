import Foundation

/// Parses `lvs --nameprefixes --noheadings` rows (`LVM2_VG_NAME='vg' LVM2_LV_NAME='lv' …`).
///
/// Name-prefixed rows, one per line, survive however liblvm2cmd splits its output into log
/// callbacks, and every value is quoted, so empty fields stay visible.
enum LVMReport {
    static let fields = [
        "vg_name", "lv_name", "lv_uuid", "segtype", "lv_attr", "pool_lv", "origin", "lv_size", "vg_free",
        "vg_extent_size", "data_percent", "metadata_percent", "lv_kernel_major", "lv_kernel_minor", "lv_tags",
    ]

    static func parse(_ lines: [String]) throws(StorageError) -> [LogicalVolume] {
        var volumes: [LogicalVolume] = []
        var seen = Set<String>()
        for line in lines where line.contains("LVM2_") {
            let row = try fields(of: line)
            guard let volume = try volume(from: row, line: line), seen.insert(volume.uuid).inserted else { continue }
            volumes.append(volume)
        }
        return volumes
    }

    /// Splits `KEY='value' KEY='value'` into a dictionary keyed by lower-case field name.
    static func fields(of line: String) throws(StorageError) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(line).drop(while: \.isWhitespace)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].first == "'" else {
                throw unexpected(line)
            }
            let key = rest[..<equals].trimmingPrefix("LVM2_").lowercased()
            let valueStart = rest.index(equals, offsetBy: 2)
            guard let valueEnd = rest[valueStart...].firstIndex(of: "'") else { throw unexpected(line) }
            result[key] = String(rest[valueStart..<valueEnd])
            rest = rest[rest.index(after: valueEnd)...].drop(while: \.isWhitespace)
        }
        return result
    }

    private static func volume(from row: [String: String], line: String) throws(StorageError) -> LogicalVolume? {
        guard let vg = row["vg_name"], let name = row["lv_name"], let uuid = row["lv_uuid"],
            let size = row["lv_size"].flatMap(UInt64.init), let free = row["vg_free"].flatMap(UInt64.init)
        else { throw unexpected(line) }
        let major = row["lv_kernel_major"].flatMap(Int64.init) ?? -1
        let minor = row["lv_kernel_minor"].flatMap(Int64.init) ?? -1
        return LogicalVolume(
            volumeGroup: vg, name: name, uuid: uuid,
            kind: kind(segmentType: row["segtype"] ?? "", attributes: row["lv_attr"] ?? ""),
            pool: nonEmpty(row["pool_lv"]), origin: nonEmpty(row["origin"]), sizeBytes: size,
            volumeGroupFreeBytes: free, volumeGroupExtentBytes: row["vg_extent_size"].flatMap(UInt64.init) ?? 4 << 20,
            dataPercent: nonEmpty(row["data_percent"]).flatMap(Double.init),
            metadataPercent: nonEmpty(row["metadata_percent"]).flatMap(Double.init),
            device: major >= 0 && minor >= 0 ? DeviceNumber(major: UInt32(major), minor: UInt32(minor)) : nil,
            tags: (row["lv_tags"] ?? "").split(separator: ",").map(String.init))
    }

    static func kind(segmentType: String, attributes: String) -> LogicalVolume.Kind {
        switch (segmentType, attributes.first) {
        case ("thin-pool", _): return .thinPool
        case ("thin", _): return .thin
        case ("snapshot", _), (_, "s"), (_, "S"): return .snapshot
        case ("linear", _), ("striped", _), (_, "-"), (_, "o"), (_, "m"), (_, "r"), (_, "R"): return .classic
        default: return .other
        }
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    private static func unexpected(_ line: String) -> StorageError {
        StorageError(code: .lvmUnexpectedOutput, detail: "cannot read this line of 'lvs' output", underlying: line)
    }
}

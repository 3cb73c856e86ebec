import ArgumentParser
import Configuration

/// How `backup` reads and records the cluster once it is planned: the checkpoint, the read
/// rate, the manifest's checksums and the label. Only `backup` reads these; its compression,
/// snapshot watching and time limits are groups of their own, under their own headings.
struct CopyOptions: SettingsGroup {
    @Option(name: .long, help: "Checkpoint at backup start: fast or spread.")
    var checkpoint: String?

    @Option(
        name: .customLong("max-rate"),
        help: "Bytes per second read from the volumes, all archives together, 32K-100G, or off (default off).")
    var maxRate: String?

    @Option(name: .customLong("manifest-checksums"), help: "crc32c, sha256 or none.")
    var manifestChecksums: String?

    @Option(name: .long, help: "Backup label recorded by PostgreSQL.")
    var label: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.checkpoint] = checkpoint
        overrides[.maxRate] = maxRate
        overrides[.manifestChecksums] = manifestChecksums
        overrides[.label] = label
        return overrides
    }
}

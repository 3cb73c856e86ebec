import ArgumentParser
import Configuration

/// How `backup` compresses its archives.
struct CompressionOptions: SettingsGroup {
    @Option(name: .customLong("compress-level"), help: "zstd level, 1-19 (default 3).")
    var compressLevel: String?

    @Option(name: .customLong("compress-workers"), help: "zstd worker threads per archive (default 2).")
    var compressWorkers: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.compressLevel] = compressLevel
        overrides[.compressWorkers] = compressWorkers
        return overrides
    }
}

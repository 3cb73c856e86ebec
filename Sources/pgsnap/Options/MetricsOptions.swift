import ArgumentParser
import Configuration

/// Where backup, verify and prune report their runs for Prometheus.
struct MetricsOptions: SettingsGroup {
    @Option(
        name: .customLong("metrics-file"),
        help: "node_exporter textfile-collector file to rewrite after the run (e.g. .../node-exporter/pgsnap.prom).")
    var metricsFile: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.metricsFile] = metricsFile
        return overrides
    }
}

import ArgumentParser
import Configuration

/// How to reach the server: read by every command that opens a libpq session.
struct ConnectionOptions: SettingsGroup {
    @Option(
        name: .long,
        help:
            "libpq connection string, e.g. 'host=/run/postgresql port=5432 user=postgres'. Never put a password here: use ~/.pgpass."
    )
    var conninfo: String?

    var overrides: [SettingKey: String] {
        var overrides: [SettingKey: String] = [:]
        overrides[.conninfo] = conninfo
        return overrides
    }
}

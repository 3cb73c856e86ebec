// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The commit `pgsnap --version` names, from PGSNAP_COMMIT in the build's environment (set by
// scripts/install and scripts/package/build); only a git hash with an optional "-dirty" is taken,
// so nothing else reaches the compiler's command line. Without it: "unknown commit".
let commit = Context.environment["PGSNAP_COMMIT"].flatMap { value -> String? in
    let hash = value.hasSuffix("-dirty") ? value.dropLast("-dirty".count) : Substring(value)
    return (7...40).contains(hash.count) && hash.allSatisfy("0123456789abcdef".contains) ? value : nil
}
let buildInfo: [CSetting] = commit.map { [.define("PGSNAP_COMMIT", to: "\"\($0)\"")] } ?? []

let package = Package(
    name: "pgsnap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pgsnap", targets: ["pgsnap"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // One system-library target per C library; each has exactly one Swift owner.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CDeviceMapper", pkgConfig: "devmapper", providers: [.apt(["libdevmapper-dev"])]),
        .systemLibrary(name: "CLVM2Cmd", providers: [.apt(["liblvm2-dev"])]),
        // C glue Swift cannot write, one target per library it needs, so that nothing links
        // libdevmapper but Storage: the variadic libdevmapper log callback; CRC-32C and SHA-256
        // (no library); signal handlers and libc's _GNU_SOURCE-only calls (libc only).
        .target(name: "CDeviceMapperShims", dependencies: ["CDeviceMapper"]),
        .target(name: "CChecksums"),
        .target(name: "CSystemShims"),
        // The build's commit for `pgsnap --version`; only the executable imports it.
        .target(name: "CBuildInfo", cSettings: buildInfo),

        // The one wrapper for system calls and errno (EINTR retried, strerror text); Glibc only.
        .target(name: "SystemCalls", swiftSettings: strict),
        .target(name: "ExitStatus", swiftSettings: strict),
        // PostgreSQL's own formats (LSN, WAL file names, backup_manifest, base-backup exclusions,
        // checksums): no file I/O, no C library but the checksums' shims.
        .target(name: "PostgresFormat", dependencies: ["CChecksums"], swiftSettings: strict),
        // libpq's one owner: the session, and libpq's own parser for connection strings.
        .target(
            name: "PostgresClient", dependencies: ["ExitStatus", "PostgresFormat", "CLibPQ"], swiftSettings: strict),
        .target(
            name: "Configuration", dependencies: ["ExitStatus", "PostgresClient", "SystemCalls"], swiftSettings: strict),
        .target(
            name: "Storage",
            dependencies: ["ExitStatus", "CDeviceMapper", "CLVM2Cmd", "CDeviceMapperShims", "SystemCalls"],
            swiftSettings: strict),
        .target(name: "Compression", dependencies: ["ExitStatus", "CZstd", "SystemCalls"], swiftSettings: strict),
        .target(
            name: "Archive", dependencies: ["ExitStatus", "PostgresFormat", "Compression", "SystemCalls"],
            swiftSettings: strict),
        // The target on disk: every name spelled once, the backup record, the stored backup as
        // read back and the member policy restore and verify share.
        .target(
            name: "TargetLayout",
            dependencies: ["ExitStatus", "PostgresFormat", "Archive", "CSystemShims", "SystemCalls"],
            swiftSettings: strict),
        // The target as a catalog of runs (list, info, retention); Backup uses it, never the reverse.
        .target(
            name: "Catalog", dependencies: ["ExitStatus", "PostgresFormat", "Archive", "TargetLayout", "SystemCalls"],
            swiftSettings: strict),
        .target(
            name: "Preflight",
            dependencies: ["ExitStatus", "Configuration", "PostgresClient", "Storage", "TargetLayout", "Catalog"],
            swiftSettings: strict),
        // Snapshot sizing (`estimate`, and the safety factor the backup's watcher uses).
        .target(
            name: "Sizing",
            dependencies: [
                "ExitStatus", "Configuration", "PostgresClient", "Storage", "Compression", "TargetLayout", "Catalog",
                "Preflight",
            ],
            swiftSettings: strict),
        // Backup, Restore and Verify are siblings over the catalog, the layout and the archive stream.
        .target(
            name: "Backup",
            dependencies: [
                "ExitStatus", "Configuration", "PostgresFormat", "PostgresClient", "Storage", "Compression",
                "Archive", "TargetLayout", "Preflight", "CSystemShims", "Catalog", "SystemCalls", "Sizing",
            ],
            swiftSettings: strict),
        .target(
            name: "Restore",
            dependencies: [
                "ExitStatus", "PostgresFormat", "Compression", "Archive", "TargetLayout", "Catalog", "CSystemShims",
                "SystemCalls",
            ],
            swiftSettings: strict),
        .target(
            name: "Verify",
            dependencies: ["ExitStatus", "PostgresFormat", "Compression", "Archive", "TargetLayout", "Catalog"],
            swiftSettings: strict),
        // The WAL archive (archive-push, archive-get): run by PostgreSQL as the cluster's user.
        .target(
            name: "WALArchive",
            dependencies: [
                "ExitStatus", "PostgresFormat", "Compression", "TargetLayout", "Catalog", "SystemCalls",
            ],
            swiftSettings: strict),
        // The metrics file (node_exporter's textfile collector): a reader of the catalog, written
        // by the executable after backup, verify and prune; Backup and Verify never see it.
        .target(
            name: "Metrics", dependencies: ["Catalog", "TargetLayout", "SystemCalls"], swiftSettings: strict),
        .executableTarget(
            name: "pgsnap",
            dependencies: [
                "ExitStatus", "Configuration", "PostgresFormat", "PostgresClient", "Storage", "Archive", "TargetLayout",
                "Preflight", "Backup", "Catalog", "Restore", "Verify", "WALArchive", "Metrics", "Sizing",
                "CBuildInfo", "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        .testTarget(
            name: "PgsnapTests",
            dependencies: [
                "ExitStatus", "Configuration", "PostgresFormat", "PostgresClient", "Storage", "Compression", "Archive",
                "TargetLayout", "Preflight", "Backup", "Catalog", "Restore", "Verify", "SystemCalls", "CSystemShims",
                "WALArchive", "Metrics",
            ],
            // Read by GoldenOutputTests through #filePath, never bundled.
            exclude: ["Golden"],
            swiftSettings: strict),
    ]
)

import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// VolumeArchiver against `tar -c | zstd -3 -T2` on ~500 MB of half random, half repetitive
/// data. A measurement for people, not a pass/fail check: it only runs when
/// PGSNAP_ARCHIVE_BENCH=1 and prints both rates.
@Suite("Archive throughput", .enabled(if: ProcessInfo.processInfo.environment["PGSNAP_ARCHIVE_BENCH"] == "1"))
struct ArchiveThroughputTests {
    static let fileCount = 50
    static let fileSize = 10 << 20

    /// Each file alternates 64 KiB of /dev/urandom with 64 KiB of SQL-like text.
    static func makeData(_ root: String) throws {
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        let text = Array(String(repeating: "INSERT INTO pgbench_accounts VALUES (42, 1, 0, ''); ", count: 1400).utf8)
        for index in 0..<fileCount {
            var data = [UInt8]()
            data.reserveCapacity(fileSize)
            while data.count < fileSize {
                data +=
                    data.count / 65536 % 2 == 0 ? Array(random.readData(ofLength: 65536)) : Array(text.prefix(65536))
            }
            try ArchiveFixtures.file(RawPath(root + "/file\(index)"), data)
        }
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    @Test func volumeArchiverAgainstTarAndZstd() throws {
        let work = try TemporaryDirectory.make(prefix: "pgsnap-bench-")
        defer { ArchiveFixtures.remove(work) }
        let data = work + "/data"
        try ArchiveFixtures.directory(RawPath(data))
        try Self.makeData(data)
        let entries = try ArchiveFixtures.entries(under: data)
        let total = Double(entries.reduce(0) { $0 + $1.size })
        for round in 1...3 {
            var result = VolumeArchiveResult()
            let ours = try Self.seconds {
                result = try VolumeArchiver(outputPath: work + "/ours\(round).tar.zst", compressionLevel: 3, workers: 2)
                    .archive(entries)
            }
            let theirs = try Self.seconds {
                try Command.output(
                    "/bin/sh",
                    [
                        "-c",
                        "tar -c -C \(data) . | zstd -3 -T2 -q -o \(work)/tar\(round).tar.zst"
                            + " && sync \(work)/tar\(round).tar.zst",
                    ])
            }
            let tarSize = try FileManager.default.attributesOfItem(atPath: "\(work)/tar\(round).tar.zst")[.size] as? Int
            print(
                String(
                    format:
                        "round %d: VolumeArchiver %.0f MB/s (%.2f s, %d bytes); tar | zstd -3 -T2 %.0f MB/s (%.2f s, %d bytes)",
                    round, total / ours / 1e6, ours, result.bytesWritten, total / theirs / 1e6, theirs, tarSize ?? -1))
        }
    }
}

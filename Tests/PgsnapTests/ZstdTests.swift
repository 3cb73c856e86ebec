import Foundation
import Testing

@testable import Compression

@Suite("libzstd streaming", .unit)
struct ZstdTests {
    /// Half random bytes, half repetitive text: the mix a database's files show.
    static func sample(bytes: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var data = [UInt8]()
        data.reserveCapacity(bytes)
        let text = Array("INSERT INTO pgbench_accounts VALUES (42, 1, 0, ''); ".utf8)
        while data.count < bytes {
            if data.count / 65536 % 2 == 0 {
                for _ in 0..<4096 { data.append(UInt8.random(in: 0...255, using: &generator)) }
            } else {
                data += text
            }
        }
        return Array(data.prefix(bytes))
    }

    func compress(_ input: [UInt8], level: Int, workers: Int, chunk: Int = 1 << 17) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: level, workers: workers)
        var output: [UInt8] = []
        try input.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunk, all.count)
                try compressor.compress(UnsafeRawBufferPointer(rebasing: all[offset..<end])) { output += $0 }
                offset = end
            }
        }
        try compressor.finish { output += $0 }
        return output
    }

    func decompress(_ input: [UInt8]) throws -> [UInt8] {
        let decompressor = try ZstdDecompressor()
        var output: [UInt8] = []
        try input.withUnsafeBytes { try decompressor.decompress($0) { output += $0 } }
        try decompressor.finish()
        return output
    }

    @Test(arguments: [(1, 0), (3, 2), (19, 2)])
    func roundTripsWithWorkers(level: Int, workers: Int) throws {
        let input = Self.sample(bytes: 6 << 20)
        let compressed = try compress(input, level: level, workers: workers)
        #expect(compressed.count < input.count * 3 / 4)
        #expect(try decompress(compressed) == input)
    }

    @Test func theZstdToolReadsOurFrames() throws {
        let input = Self.sample(bytes: 3 << 20)
        let path = NSTemporaryDirectory() + "/pgsnap-zstd-\(getpid()).zst"
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(try compress(input, level: 3, workers: 2)))
        let result = Command.run("/usr/bin/zstd", ["-t", "-q", path])
        #expect(result.status == 0, "\(result.output)")
    }

    @Test func truncatedInputIsDetected() throws {
        let compressed = try compress(Self.sample(bytes: 1 << 20), level: 3, workers: 0)
        #expect(throws: ZstdError.self) { try decompress(Array(compressed.dropLast(100))) }
    }

    @Test func corruptInputCarriesZstdsMessage() throws {
        var compressed = try compress(Self.sample(bytes: 1 << 20), level: 3, workers: 0)
        compressed[compressed.count / 2] ^= 0xff
        let error = #expect(throws: ZstdError.self) { try decompress(compressed) }
        #expect(error?.zstdMessage.isEmpty == false)
    }

    @Test func invalidParameterIsATypedError() {
        let workers = #expect(throws: ZstdError.self) { try ZstdCompressor(level: 3, workers: 100_000) }
        #expect(workers?.message.contains("worker count 100000") == true)
        let level = #expect(throws: ZstdError.self) { try ZstdCompressor(level: 99, workers: 0) }
        #expect(level?.message.contains("outside the supported range") == true)
    }
}

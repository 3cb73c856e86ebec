import Foundation
import Testing

@testable import Archive
@testable import PostgresFormat

/// CRC-32C and SHA-256 against published vectors, and the two CRC code paths against each other.
@Suite("Archive checksums", .unit)
struct ArchiveChecksumTests {
    static func crc(_ bytes: [UInt8]) -> CRC32C {
        var crc = CRC32C()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc
    }

    static func sha(_ bytes: [UInt8]) -> String {
        var sha = SHA256()
        sha.update(bytes)
        return sha.finalize()
    }

    @Test func crc32cMatchesTheCheckValue() {
        let crc = Self.crc(Array("123456789".utf8))
        #expect(crc.value == 0xE306_9283)
        // backup_manifest writes the uint32's bytes in memory (little-endian) order.
        #expect(crc.finalize() == "839206e3")
    }

    @Test func crc32cOfNothingIsZero() {
        #expect(Self.crc([]).value == 0)
        #expect(Self.crc([]).finalize() == "00000000")
    }

    /// RFC 3720 (iSCSI) B.4 vectors, which use the same CRC-32C.
    @Test func crc32cMatchesTheISCSIVectors() {
        #expect(Self.crc([UInt8](repeating: 0, count: 32)).value == 0x8A91_36AA)
        #expect(Self.crc([UInt8](repeating: 0xFF, count: 32)).value == 0x62A8_AB43)
        #expect(Self.crc(Array(0...31)).value == 0x46DD_794E)
        #expect(Self.crc(Array((0...31).reversed())).value == 0x113F_DB5C)
    }

    @Test func hardwareAndSoftwarePathsAgreeOnOddLengthsAndOffsets() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        data.withUnsafeBytes { all in
            for _ in 0..<300 {
                let start = Int.random(in: 0..<64, using: &generator)
                let length = Int.random(in: 0..<(all.count - 64), using: &generator) | 1
                let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                #expect(CRC32C.hardwareValue(slice) == CRC32C.softwareValue(slice), "offset \(start) length \(length)")
            }
        }
        // Record which path this machine exercised, so a green run on a CPU without SSE4.2 is not
        // mistaken for a hardware check.
        print("CRC32C hardware path available: \(CRC32C.usesHardware)")
    }

    @Test func incrementalUpdatesEqualOneShot() {
        let data = ArchiveFixtures.mixedData(300_001)
        var crc = CRC32C()
        var sha = SHA256()
        data.withUnsafeBytes { all in
            var offset = 0
            var step = 1
            while offset < all.count {
                let end = min(all.count, offset + step)
                crc.update(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                sha.update(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
                step = step * 3 + 1
            }
        }
        #expect(crc == Self.crc(data))
        #expect(sha.finalize() == Self.sha(data))
    }

    @Test func sha256MatchesFIPSVectors() {
        #expect(Self.sha(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Self.sha([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Self.sha(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            Self.sha([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha256AgreesWithSha256sumOnPaddingBoundaries() throws {
        let directory = try TemporaryDirectory.make(prefix: "pgsnap-sha-")
        defer { ArchiveFixtures.remove(directory) }
        for length in [55, 56, 63, 64, 65, 119, 120, 127, 128, 1000] {
            let data = ArchiveFixtures.mixedData(length)
            let path = directory + "/\(length)"
            try ArchiveFixtures.file(RawPath(path), data)
            let expected = try Command.output("/usr/bin/sha256sum", [path]).prefix(64)
            #expect(Self.sha(data) == String(expected), "length \(length)")
        }
    }

    @Test func fileChecksumSpeaksEachAlgorithm() {
        let data = Array("123456789".utf8)
        var crc = FileChecksum(.crc32c)
        var sha = FileChecksum(.sha256)
        var none = FileChecksum(.none)
        data.withUnsafeBytes {
            crc.update($0)
            sha.update($0)
            none.update($0)
        }
        #expect(crc.finalize() == "839206e3")
        #expect(sha.finalize() == Self.sha(data))
        #expect(none.finalize() == nil)
        #expect(ChecksumAlgorithm(name: "sha256") == .sha256)
        #expect(ChecksumAlgorithm(name: "md5") == nil)
    }
}

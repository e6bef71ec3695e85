import XCTest
@testable import Dataset

/// Shards and model artifacts carry this checksum; files written by earlier versions must still
/// open, so it has to stay zlib's `crc32` whatever the loop does.
final class CRC32Tests: XCTestCase {
    private func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { CRC32.checksum($0) }
    }

    /// The definition, one bit at a time.
    private func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    func testValuesZlibComputes() {
        // Python's zlib.crc32 of the same bytes.
        XCTAssertEqual(crc(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(crc([]), 0)
        XCTAssertEqual(crc(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
        XCTAssertEqual(crc(Array((0..<768).map { UInt8($0 % 256) })), 0xB0C0_DF2A)
    }

    func testEveryLengthAndAlignmentAgreesWithTheBitwiseDefinition() {
        let bytes = (0..<80).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        for start in 0..<8 {
            for end in start...bytes.count {
                let slice = bytes[start..<end]
                let fast = slice.withUnsafeBytes { CRC32.checksum($0) }
                XCTAssertEqual(fast, bitwise(slice), "bytes \(start)..<\(end)")
            }
        }
    }
}

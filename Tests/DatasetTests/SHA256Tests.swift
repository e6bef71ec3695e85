import Foundation
import TestSupport
import XCTest
@testable import Dataset

final class SHA256Tests: XCTestCase {
    func testKnownVectors() throws {
        XCTAssertEqual(SHA256.hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIncrementalUpdatesMatchOneShot() {
        var random = SeededRandom(seed: 11)
        let bytes = (0..<1_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let whole = SHA256.hex(Data(bytes))
        for split in [0, 1, 55, 56, 63, 64, 65, 200, 999, 1_000] {
            var hasher = SHA256()
            hasher.update(Data(bytes[..<split]))
            hasher.update(bytes[split...])
            XCTAssertEqual(hasher.finalize().map { String(format: "%02x", $0) }.joined(), whole, "split at \(split)")
        }
    }

    /// The known vectors run on whichever path this CPU takes; both paths must agree on any length.
    func testTheCPUsSHAExtensionsAndThePortableLoopAgree() {
        var random = SeededRandom(seed: 12)
        let bytes = (0..<5_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        func portableHex(_ data: Data) -> String {
            var hasher = SHA256(portable: true)
            hasher.update(data)
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
        for length in [0, 1, 55, 56, 63, 64, 65, 127, 128, 1_000, 4_097, 5_000] {
            let data = Data(bytes[..<length])
            XCTAssertEqual(SHA256.hex(data), portableHex(data), "\(length) bytes")
        }
        XCTAssertEqual(portableHex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testFileDigestMatchesDataDigest() throws {
        let directory = try TemporaryDirectory("sha")
        let path = directory.file("data")
        let data = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try data.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hex(fileAt: path), SHA256.hex(data))
    }
}

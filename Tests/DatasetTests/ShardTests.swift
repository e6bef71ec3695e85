import Foundation
import TestSupport
import XCTest
@testable import Dataset

final class ShardTests: XCTestCase {
    private func sampleTable(rows: Int = 257, seed: UInt64 = 1) throws -> Table {
        var random = SeededRandom(seed: seed)
        return try Table(names: ["x", "city", "ünïcode ✓", "y"], columns: [
            .numeric((0..<rows).map { i in i % 17 == 0 ? .nan : random.normal() }),
            .categorical(codes: (0..<rows).map { i in i % 11 == 0 ? -1 : Int32(random.index(below: 3)) }, levels: ["Oslo", "Lima", "Café, \"quoted\""]),
            .numeric((0..<rows).map { Double($0) }),
            .categorical(codes: (0..<rows).map { _ in 0 }, levels: ["only", "unused"]),
        ])
    }

    private var directories: [TemporaryDirectory] = []

    private func temporaryStore() throws -> ShardStore {
        let directory = try TemporaryDirectory("shards")
        directories.append(directory)
        return try ShardStore(directory: directory.file("nested"))
    }

    private func assertMalformed(_ data: Data, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ShardCodec.decode(data, source: "s.shard"), file: file, line: line) { error in
            guard let error = error as? ShardError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(error.description.hasPrefix("s.shard: "), error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(fragment), error.description, file: file, line: line)
            XCTAssertEqual(error.errorDescription, error.description, file: file, line: line)
        }
    }

    func testEncodeDecodeRoundTrip() throws {
        let table = try sampleTable()
        let data = ShardCodec.encode(table)
        XCTAssertEqual(Array(data.prefix(4)), Array("ENGS".utf8))
        XCTAssertEqual(try ShardCodec.decode(data), table)
        let empty = try Table(names: [], columns: [])
        XCTAssertEqual(try ShardCodec.decode(ShardCodec.encode(empty)), empty)
        let noRows = try sampleTable(rows: 0)
        XCTAssertEqual(try ShardCodec.decode(ShardCodec.encode(noRows)), noRows)
    }

    func testEncodingIsDeterministic() throws {
        XCTAssertEqual(ShardCodec.encode(try sampleTable()), ShardCodec.encode(try sampleTable()))
        XCTAssertNotEqual(ShardCodec.encode(try sampleTable()), ShardCodec.encode(try sampleTable(seed: 2)))
    }

    func testHeaderLayoutIsLittleEndian() throws {
        let data = ShardCodec.encode(try Table(names: ["a"], columns: [.numeric([1.0, 2.0])]))
        XCTAssertEqual(Array(data[4..<6]), [1, 0])
        XCTAssertEqual(Array(data[6..<14]), [2, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(data[14..<18]), [1, 0, 0, 0])
        XCTAssertEqual(Array(data[18..<22]), [1, 0, 0, 0])
        XCTAssertEqual(data[22], UInt8(ascii: "a"))
        XCTAssertEqual(data[23], 0)
        XCTAssertEqual(Array(data[24..<32]), [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        XCTAssertEqual(data.count, 4 + 2 + 8 + 4 + 4 + 1 + 1 + 16 + 4)
    }

    func testEveryFlippedByteIsRefused() throws {
        let data = ShardCodec.encode(try sampleTable(rows: 5))
        for i in 0..<data.count {
            var damaged = data
            damaged[i] ^= 0x40
            XCTAssertThrowsError(try ShardCodec.decode(damaged), "flip at \(i)")
        }
    }

    func testEveryTruncationIsRefused() throws {
        let data = ShardCodec.encode(try sampleTable(rows: 5))
        for length in 0..<data.count {
            XCTAssertThrowsError(try ShardCodec.decode(data.prefix(length)), "truncated to \(length)")
        }
        assertMalformed(data.prefix(10), "truncated")
        var extended = data
        extended.append(0)
        XCTAssertThrowsError(try ShardCodec.decode(extended))
    }

    func testClearMessagesForWrongMagicVersionAndChecksum() throws {
        let data = ShardCodec.encode(try sampleTable(rows: 5))
        var wrongMagic = data
        wrongMagic[0] = UInt8(ascii: "X")
        assertMalformed(wrongMagic, "does not start with \"ENGS\"")
        var wrongVersion = data
        wrongVersion[4] = 9
        assertMalformed(wrongVersion, "unsupported shard format version 9")
        var damaged = data
        damaged[40] ^= 1
        assertMalformed(damaged, "CRC-32")
    }

    func testStructuralChecksBehindAValidChecksum() throws {
        func resealed(_ bytes: [UInt8]) -> Data {
            var body = Array(bytes.dropLast(4))
            let crc = body.withUnsafeBytes { CRC32.checksum($0) }
            withUnsafeBytes(of: crc.littleEndian) { body.append(contentsOf: $0) }
            return Data(body)
        }
        let table = try Table(names: ["c"], columns: [.categorical(codes: [0, 1], levels: ["a", "b"])])
        var bytes = [UInt8](ShardCodec.encode(table))
        // Layout: header 18, name 4+1, tag 1, level count 4, levels 2×(4+1), codes 2×4, crc 4.
        let codesOffset = 18 + 5 + 1 + 4 + 10
        bytes[codesOffset + 4] = 7
        assertMalformed(resealed(bytes), "code 7, outside -1..<2")
        bytes = [UInt8](ShardCodec.encode(table))
        bytes[18 + 5] = 9
        assertMalformed(resealed(bytes), "unknown type tag 9")
        bytes = [UInt8](ShardCodec.encode(table))
        bytes[18 + 5 + 1 + 4 + 5 + 4] = UInt8(ascii: "a")
        assertMalformed(resealed(bytes), "repeats the level 'a'")
        bytes = [UInt8](ShardCodec.encode(table))
        bytes[18 + 4] = 0xFF
        assertMalformed(resealed(bytes), "not valid UTF-8")
        bytes = [UInt8](ShardCodec.encode(table))
        bytes[6] = 0xFF
        bytes[7] = 0xFF
        bytes[8] = 0xFF
        assertMalformed(resealed(bytes), "cannot fit")
    }

    func testStoreWritesContentAddressedFilesIdempotently() throws {
        let store = try temporaryStore()
        let table = try sampleTable()
        let ref = try store.write(table)
        let bytes = ShardCodec.encode(table)
        XCTAssertEqual(ref, ShardRef(id: SHA256.hex(bytes), rows: table.rowCount, bytes: bytes.count))
        XCTAssertEqual(try SHA256.hex(fileAt: store.path(for: ref.id)), ref.id)
        XCTAssertTrue(store.path(for: ref.id).hasSuffix("/\(ref.id).shard"))
        XCTAssertTrue(store.contains(ref.id))
        XCTAssertEqual(try store.size(of: ref.id), bytes.count)
        XCTAssertEqual(try store.read(ref.id), table)
        XCTAssertEqual(try store.write(table), ref)
        let other = try store.write(try sampleTable(seed: 9))
        XCTAssertEqual(try store.ids(), [ref.id, other.id].sorted())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testChunkedReadsReassembleTheFile() throws {
        let store = try temporaryStore()
        let ref = try store.write(try sampleTable(rows: 1_000))
        var assembled = Data()
        var offset = 0
        while true {
            let chunk = try store.readBytes(ref.id, offset: offset, count: 777)
            if chunk.isEmpty { break }
            assembled.append(chunk)
            offset += chunk.count
        }
        XCTAssertEqual(assembled.count, ref.bytes)
        XCTAssertEqual(SHA256.hex(assembled), ref.id)
        XCTAssertThrowsError(try store.readBytes(ref.id, offset: ref.bytes + 1, count: 1)) { error in
            XCTAssertEqual((error as? ShardError)?.kind, .outOfRange)
        }
        XCTAssertThrowsError(try store.readBytes(ref.id, offset: -1, count: 1))

        let receiver = try temporaryStore()
        try receiver.write(data: assembled, expectedID: ref.id)
        XCTAssertEqual(try receiver.read(ref.id), try store.read(ref.id))
    }

    func testReceivedBytesWithTheWrongHashAreRefused() throws {
        let store = try temporaryStore()
        let data = ShardCodec.encode(try sampleTable())
        let id = SHA256.hex(data)
        var damaged = data
        damaged[100] ^= 0xFF
        XCTAssertThrowsError(try store.write(data: damaged, expectedID: id)) { error in
            XCTAssertEqual((error as? ShardError)?.kind, .hashMismatch)
        }
        XCTAssertFalse(store.contains(id))
        XCTAssertEqual(try store.ids(), [])
    }

    func testCorruptedStoredShardIsRefusedOnRead() throws {
        let store = try temporaryStore()
        let ref = try store.write(try sampleTable())
        var bytes = try Data(contentsOf: URL(fileURLWithPath: store.path(for: ref.id)))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: store.path(for: ref.id)))
        XCTAssertThrowsError(try store.read(ref.id)) { error in
            XCTAssertEqual((error as? ShardError)?.kind, .hashMismatch)
            XCTAssertTrue("\(error)".contains("corrupt"), "\(error)")
        }
        XCTAssertThrowsError(try store.read(ref.id, verify: false)) { error in
            XCTAssertEqual((error as? ShardError)?.kind, .checksumMismatch)
        }
        // Writing the table again repairs the damaged file.
        XCTAssertEqual(try store.write(try sampleTable()), ref)
        XCTAssertEqual(try store.read(ref.id), try sampleTable())
    }

    func testInvalidOrUnknownIDsAreRefusedWithoutTouchingOtherPaths() throws {
        let store = try temporaryStore()
        for id in ["../../etc/passwd", "ABC", String(repeating: "g", count: 64), String(repeating: "A", count: 64)] {
            XCTAssertFalse(store.contains(id))
            XCTAssertThrowsError(try store.read(id)) { error in
                XCTAssertEqual((error as? ShardError)?.kind, .invalidID, "\(error)")
            }
            XCTAssertThrowsError(try store.write(data: Data(), expectedID: id))
        }
        let unknown = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try store.read(unknown)) { error in
            XCTAssertEqual((error as? ShardError)?.kind, .notFound)
        }
        XCTAssertThrowsError(try store.size(of: unknown))
    }

    func testStoreRefusesAFileAsDirectory() throws {
        let directory = try TemporaryDirectory("file")
        let path = directory.file("plain")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertThrowsError(try ShardStore(directory: path)) { error in
            XCTAssertTrue("\(error)".contains("not a directory"), "\(error)")
        }
    }

    func testShardingCutsContiguousNearEqualPieces() throws {
        let table = try sampleTable(rows: 103)
        let rows = Array((0..<103).reversed())
        let pieces = Sharding.split(table, rows: rows, into: 10)
        XCTAssertEqual(pieces.map(\.rowCount), [11, 11, 11, 10, 10, 10, 10, 10, 10, 10])
        XCTAssertEqual(try Table.concatenated(pieces), table.rows(rows))
        XCTAssertEqual(Sharding.split(table, rows: [4, 5], into: 3).map(\.rowCount), [1, 1, 0])
    }

    func testConcatenationMergesDifferingLevels() throws {
        let a = try Table(names: ["n", "c"], columns: [.numeric([1, 2]), .categorical(codes: [0, 1], levels: ["x", "y"])])
        let b = try Table(names: ["n", "c"], columns: [.numeric([3, .nan, 5]), .categorical(codes: [0, -1, 1], levels: ["z", "x"])])
        let joined = try Table.concatenated([a, b])
        XCTAssertEqual(try joined.column("n"), .numeric([1, 2, 3, .nan, 5]))
        XCTAssertEqual(try joined.column("c"), .categorical(codes: [0, 1, 2, -1, 0], levels: ["x", "y", "z"]))
        XCTAssertEqual(try Table.concatenated([]).columnCount, 0)
        XCTAssertEqual(try Table.concatenated([a]), a)
    }

    func testConcatenationRefusesMismatchedTables() throws {
        let a = try Table(names: ["n"], columns: [.numeric([1])])
        let b = try Table(names: ["m"], columns: [.numeric([1])])
        let c = try Table(names: ["n"], columns: [.categorical(codes: [0], levels: ["1"])])
        XCTAssertThrowsError(try Table.concatenated([a, b])) { error in
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("table 2 has columns") == true, "\(error)")
        }
        XCTAssertThrowsError(try Table.concatenated([a, c])) { error in
            XCTAssertTrue("\(error)".contains("numeric in table 1 but categorical in table 2"), "\(error)")
        }
    }

    func testColumnEqualityTreatsMissingValuesAsEqual() {
        XCTAssertEqual(Column.numeric([1, .nan]), Column.numeric([1, .nan]))
        XCTAssertNotEqual(Column.numeric([1, .nan]), Column.numeric([1, 2]))
        XCTAssertNotEqual(Column.numeric([1]), Column.categorical(codes: [1], levels: ["a", "b"]))
    }
}

import Dataset
import Foundation
@testable import Worker
import XCTest

/// The worker's in-memory copies of decoded shards: a job on the same rows reads them from memory,
/// and the memory they hold stays within the budget, the least recently used going first.
final class DecodedShardsTests: XCTestCase {
    private var directory: URL!
    private var store: ShardStore!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("decoded-\(UUID().uuidString)")
        store = try ShardStore(directory: directory.path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func shard(_ offset: Int, rows: Int = 100) throws -> ShardRef {
        try store.write(try Table(names: ["x", "c"], columns: [.numeric((0..<rows).map { Double($0 + offset) }),
                                                              .categorical(codes: (0..<rows).map { Int32($0 % 2) }, levels: ["a", "b"])]))
    }

    func testASecondReadComesFromMemoryEvenWhenTheFileIsGone() throws {
        let ref = try shard(0)
        let decoded = DecodedShards(store: store, budgetBytes: 1 << 20)
        let first = try decoded.table(ref.id)
        try FileManager.default.removeItem(atPath: store.path(for: ref.id))
        XCTAssertEqual(try decoded.table(ref.id), first)
        XCTAssertEqual(decoded.hits, 1)
        XCTAssertEqual(decoded.misses, 1)
    }

    func testConcatenatesInTheOrderGiven() throws {
        let a = try shard(0, rows: 3), b = try shard(10, rows: 2)
        let decoded = DecodedShards(store: store, budgetBytes: 1 << 20)
        XCTAssertEqual(try decoded.table(of: [b, a])?.numeric("x"), [10, 11, 0, 1, 2])
        XCTAssertNil(try decoded.table(of: []))
    }

    func testTheLeastRecentlyUsedShardLeavesWhenTheBudgetIsFull() throws {
        let a = try shard(0), b = try shard(1000), c = try shard(2000)
        let one = try store.read(a.id).decodedBytes
        let decoded = DecodedShards(store: store, budgetBytes: 2 * one)
        _ = try decoded.table(a.id)
        _ = try decoded.table(b.id)
        _ = try decoded.table(a.id)
        _ = try decoded.table(c.id)
        for ref in [a, b, c] { try FileManager.default.removeItem(atPath: store.path(for: ref.id)) }
        XCTAssertEqual(try decoded.table(a.id).numeric("x").first, 0, "used most recently before c, so kept")
        XCTAssertEqual(try decoded.table(c.id).numeric("x").first, 2000)
        XCTAssertThrowsError(try decoded.table(b.id), "the least recently used shard was evicted and its file is gone")
    }
}

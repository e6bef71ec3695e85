import Dataset
import Foundation
import Wire
@testable import Worker
import XCTest

final class ShardFetchTests: XCTestCase {
    /// Plays the coordinator's side: answers every request with the bytes at its offset.
    private func serve(_ requests: [FetchHeader], from shards: [String: Data], chunk: Int) -> [(ChunkHeader, Data)] {
        requests.map { request in
            let data = shards[request.shardID]!
            let end = min(request.offset + min(request.size, chunk), data.count)
            let start = min(request.offset, data.count)
            return (ChunkHeader(shardID: request.shardID, offset: request.offset, totalSize: data.count, last: end >= data.count), data.subdata(in: start..<end))
        }
    }

    func testReassemblesSeveralShardsWithinTheWindow() throws {
        let shards = ["a": Data((0..<10_000).map { UInt8($0 % 251) }), "b": Data((0..<2_500).map { UInt8($0 % 7) }), "c": Data()]
        var fetch = ShardFetch(missing: ["a", "b", "c"], window: 3, chunkBytes: 1000)
        var complete: [String: Data] = [:]
        var inFlight: [FetchHeader] = fetch.requests()
        var rounds = 0
        while !fetch.isComplete {
            XCTAssertLessThanOrEqual(inFlight.count, 3)
            XCTAssertFalse(inFlight.isEmpty, "a transfer stalled")
            let answers = serve(inFlight, from: shards, chunk: 1000)
            inFlight = []
            for (header, bytes) in answers {
                if let done = try fetch.receive(header, bytes: bytes) { complete[done.id] = done.data }
                inFlight += fetch.requests()
            }
            rounds += 1
            XCTAssertLessThan(rounds, 100)
        }
        XCTAssertEqual(complete, shards)
    }

    func testRejectsChunksThatDoNotFit() {
        var fetch = ShardFetch(missing: ["a"], window: 2, chunkBytes: 10)
        _ = fetch.requests()
        XCTAssertThrowsError(try fetch.receive(ChunkHeader(shardID: "zzz", offset: 0, totalSize: 5, last: true), bytes: Data(count: 5)))
        XCTAssertThrowsError(try fetch.receive(ChunkHeader(shardID: "a", offset: 8, totalSize: 10, last: true), bytes: Data(count: 5)))
        XCTAssertThrowsError(try fetch.receive(ChunkHeader(shardID: "a", offset: 0, totalSize: -1, last: true), bytes: Data()))
        XCTAssertThrowsError(try fetch.receive(ChunkHeader(shardID: "a", offset: 0, totalSize: 10, last: false, error: "no such shard"), bytes: Data()))
    }
}

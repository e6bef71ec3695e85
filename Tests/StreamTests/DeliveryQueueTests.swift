import Foundation
import Serving
@testable import Stream
import Wire
import XCTest

/// Micro-batches flush on count or on the oldest event's wait, and a delivery is completed only
/// by the batch holding its last event.
final class DeliveryQueueTests: XCTestCase {
    private func delivery(_ name: String, rows: Int) throws -> EventBatch {
        let body = "event_id,user_id,x\n" + (0..<rows).map { "\(name)-\($0),c\($0),\($0)" }.joined(separator: "\n") + "\n"
        return try EventBatch.parse(Data(body.utf8), source: name, categorical: [])
    }

    func testABatchIsDueOnCountOrOnTheOldestEventsWait() throws {
        let start = Date(timeIntervalSince1970: 1000)
        var batcher = DeliveryQueue<String>(policy: FlushPolicy(maxRows: 10, maxWait: .seconds(5)))
        XCTAssertFalse(batcher.isDue(at: start))
        XCTAssertNil(batcher.deadline)
        batcher.add(try delivery("a", rows: 4), token: "a", at: start)
        XCTAssertFalse(batcher.isDue(at: start.addingTimeInterval(4.9)))
        XCTAssertTrue(batcher.isDue(at: start.addingTimeInterval(5)), "the oldest event has waited max-wait")
        batcher.add(try delivery("b", rows: 6), token: "b", at: start.addingTimeInterval(1))
        XCTAssertTrue(batcher.isDue(at: start.addingTimeInterval(1)), "ten events wait")
        let batch = batcher.take()
        XCTAssertEqual(batch.count, 10)
        XCTAssertEqual(batch.completed.map(\.token), ["a", "b"])
        XCTAssertTrue(batcher.isEmpty)
        XCTAssertEqual(batcher.pending, 0)
    }

    func testALargeDeliveryIsSpreadOverBatchesAndCompletedByItsLast() throws {
        var batcher = DeliveryQueue<String>(policy: FlushPolicy(maxRows: 10, maxWait: .seconds(30)))
        let now = Date()
        batcher.add(try delivery("big", rows: 25), token: "big", at: now)
        batcher.add(try delivery("small", rows: 3), token: "small", at: now)
        var seen: [String] = []
        var completions: [[String]] = []
        while !batcher.isEmpty {
            let batch = batcher.take()
            XCTAssertLessThanOrEqual(batch.count, 10)
            seen += batch.pieces.flatMap(\.eventIDs)
            completions.append(batch.completed.map(\.token))
        }
        XCTAssertEqual(seen, (0..<25).map { "big-\($0)" } + (0..<3).map { "small-\($0)" }, "every event once, in order")
        XCTAssertEqual(completions, [[], [], ["big", "small"]])
    }

    func testMalformedFramesAreDroppedWithAReasonAndRepliesRoundTrip() throws {
        let good = StreamFrames.encodeEvents(batchID: "p1-0007", body: Data("event_id,user_id\n1,c\n".utf8))
        XCTAssertEqual(try StreamFrames.decodeEvents(good).batchID, "p1-0007")
        let cases: [([Data], String)] = [
            ([Data("EVENTS".utf8)], "frames"),
            ([Data("EVENT".utf8), Data("id".utf8), Data()], "command"),
            ([Data("EVENTS".utf8), Data(), Data()], "batch id"),
            ([Data("EVENTS".utf8), Data(repeating: 0x61, count: 257), Data()], "batch id"),
            ([Data("EVENTS".utf8), Data([0xFF, 0xFE]), Data()], "batch id"),
            ([Data("EVENTS".utf8), Data("a\nb".utf8), Data()], "batch id"),
        ]
        for (frames, reason) in cases {
            XCTAssertThrowsError(try StreamFrames.decodeEvents(frames)) { XCTAssertEqual(($0 as? DroppedMessage)?.reason, reason) }
        }
        XCTAssertEqual(try StreamFrames.decodeReply(StreamFrames.encodeAck(batchID: "b", rows: 12)), .ack(batchID: "b", rows: 12))
        XCTAssertEqual(try StreamFrames.decodeReply(StreamFrames.encodeReject(batchID: "b", reason: "no column x")),
                       .reject(batchID: "b", reason: "no column x"))
        XCTAssertThrowsError(try StreamFrames.decodeReply([Data("ACK".utf8), Data("b".utf8), Data("-1".utf8)]))
    }
}

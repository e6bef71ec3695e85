import Foundation
import XCTest
@testable import Wire

/// A ROUTER facing a raw DEALER that speaks anything but the protocol.
final class GarbageTests: XCTestCase {
    func testGarbageFromRawDealerIsCountedAndDropped() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        let endpoint = try bindLoopback(router)
        let raw = try ZMQSocket(context: context, type: .dealer)
        try raw.setIdentity(Data("raw".utf8))
        try raw.connect(endpoint)

        let garbage: [[Data]] = [
            [Data("GET / HTTP/1.1".utf8)],
            [Data("ENG1".utf8), Data("HELLO".utf8), Data("{}".utf8), Data(), Data()],
            [Data("ENG0".utf8), Data("HELLO".utf8), Data("{}".utf8)],
            [Data("ENG1".utf8), Data("SHOUT".utf8), Data("{}".utf8)],
            [Data("ENG1".utf8), Data("HELLO".utf8), Data([0xde, 0xad, 0xbe, 0xef])],
            [Data("ENG1".utf8), Data("BYE".utf8), Data("{}".utf8), patternedData(count: 100)],
            [Data("ENG1".utf8), Data("RESULT".utf8), Data("{}".utf8)],
        ]
        for message in garbage { try raw.send(message) }
        let valid = try Envelope(command: .bye, header: ByeHeader(reason: "done"))
        try raw.send(valid.frames())

        let counters = MessageCounters()
        var accepted: [RoutedEnvelope] = []
        for _ in 0...garbage.count {
            let frames = try XCTUnwrap(try router.receive(timeoutMs: arrivalTimeoutMs))
            if let routed = RoutedEnvelope.accept(frames, counters: counters) { accepted.append(routed) }
        }

        XCTAssertEqual(accepted, [RoutedEnvelope(peer: Data("raw".utf8), envelope: valid)])
        XCTAssertEqual(counters.received, 1)
        XCTAssertEqual(counters.dropped, garbage.count)
        XCTAssertEqual(counters.droppedByReason, [
            "badFrameCount": 2, "wrongProtocol": 1, "unknownCommand": 1,
            "malformedHeader": 1, "unexpectedPayload": 1, "missingPayload": 1,
        ])
    }

    func testCountersAreSafeAcrossThreads() {
        let counters = MessageCounters()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            for _ in 0..<1000 {
                counters.countSent()
                counters.countReceived()
                counters.countDropped(index.isMultiple(of: 2) ? "even" : "odd")
            }
        }
        XCTAssertEqual(counters.sent, 8000)
        XCTAssertEqual(counters.received, 8000)
        XCTAssertEqual(counters.dropped, 8000)
        XCTAssertEqual(counters.droppedByReason, ["even": 4000, "odd": 4000])
        XCTAssertNil(Envelope.accept([Data("x".utf8)], counters: counters))
        XCTAssertEqual(counters.droppedByReason["badFrameCount"], 1)
    }
}

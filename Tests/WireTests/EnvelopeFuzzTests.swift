import Foundation
import TestSupport
import Wire
import XCTest

/// The parsers on random and mutated frames: they return or throw a ``ProtocolError``, never
/// crash, and every message is either accepted or dropped under a kind.
final class EnvelopeFuzzTests: XCTestCase {
    func testMutatedEnvelopesAreAcceptedOrDroppedByKind() {
        var fuzzer = FrameFuzzer(seeds: FuzzSeeds.toCoordinator + FuzzSeeds.toWorker, seed: 1)
        let counters = MessageCounters()
        let count = 20_000
        for _ in 0..<count {
            let frames = fuzzer.next()
            _ = Envelope.accept(frames, counters: counters)
            _ = RoutedEnvelope.accept([Data("peer".utf8)] + frames, counters: counters)
        }
        XCTAssertEqual(counters.received + counters.dropped, 2 * count)
        XCTAssertGreaterThan(counters.dropped, count, "most mutations must be invalid")
        let kinds: Set = ["badFrameCount", "wrongProtocol", "unknownCommand", "malformedHeader", "headerTooLarge", "unexpectedPayload", "missingPayload"]
        XCTAssertTrue(Set(counters.droppedByReason.keys).isSubset(of: kinds), "\(counters.droppedByReason)")
        XCTAssertEqual(Set(counters.droppedByReason.keys), kinds, "the fuzzer reaches every kind of bad message")
    }

    func testARouterMessageWithoutAnIdentityIsDropped() {
        let counters = MessageCounters()
        XCTAssertNil(RoutedEnvelope.accept([Data()] + FuzzSeeds.toCoordinator[0], counters: counters))
        XCTAssertNil(RoutedEnvelope.accept([], counters: counters))
        XCTAssertEqual(counters.droppedByReason, ["missingIdentity": 2])
    }
}

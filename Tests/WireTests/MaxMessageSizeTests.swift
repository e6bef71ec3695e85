import Foundation
import XCTest
@testable import Wire

final class MaxMessageSizeTests: XCTestCase {
    func testOversizedSenderIsDisconnectedAndReceiverKeepsWorking() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.setMaxMessageSize(1024)
        let endpoint = try bindLoopback(router)

        let offender = try ZMQSocket(context: context, type: .dealer)
        try offender.setIdentity(Data("offender".utf8))
        try offender.setLinger(milliseconds: 0)
        try offender.connect(endpoint)
        try offender.send([Data("ENG1".utf8), patternedData(count: 4096)])
        XCTAssertNil(try router.receive(timeoutMs: silenceTimeoutMs), "an over-limit message got through")

        let honest = try ZMQSocket(context: context, type: .dealer)
        try honest.setIdentity(Data("honest".utf8))
        try honest.connect(endpoint)
        try honest.send([Data("ENG1".utf8), patternedData(count: 1000)])
        let received = try XCTUnwrap(try router.receive(timeoutMs: arrivalTimeoutMs))
        XCTAssertEqual(received, [Data("honest".utf8), Data("ENG1".utf8), patternedData(count: 1000)])

        // The offender reconnects by itself; a message within the limit then gets through,
        // and the dropped one is never delivered late.
        try offender.send([Data("small".utf8)])
        let next = try XCTUnwrap(try router.receive(timeoutMs: arrivalTimeoutMs))
        XCTAssertEqual(next, [Data("offender".utf8), Data("small".utf8)])
        XCTAssertNil(try router.receive(timeoutMs: silenceTimeoutMs))
    }
}

import Foundation
import XCTest
@testable import Wire

final class SocketTests: XCTestCase {
    private func roundTrip(bindRouter: (ZMQSocket) throws -> String) throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        let dealer = try ZMQSocket(context: context, type: .dealer)
        let address = try bindRouter(router)
        try dealer.setIdentity(Data("worker-1".utf8))
        try dealer.connect(address)

        let big = patternedData(count: 5 * 1024 * 1024, seed: 7)
        let request = [Data("ENG1".utf8), Data(), Data([0, 255, 0]), big]
        try dealer.send(request)

        let received = try XCTUnwrap(try router.receive(timeoutMs: arrivalTimeoutMs))
        XCTAssertEqual(received.count, 5)
        XCTAssertEqual(received[0], Data("worker-1".utf8))
        XCTAssertEqual(Array(received.dropFirst()), request)

        let reply = [Data(), Data("reply".utf8), patternedData(count: 1000, seed: 3)]
        try router.send([received[0]] + reply)
        XCTAssertEqual(try dealer.receive(timeoutMs: arrivalTimeoutMs), reply)
    }

    func testRouterDealerRoundTripOverTCP() throws {
        try roundTrip { try bindLoopback($0) }
    }

    func testRouterDealerRoundTripOverInproc() throws {
        try roundTrip { socket in
            try socket.bind("inproc://socket-tests")
            return "inproc://socket-tests"
        }
    }

    func testSingleEmptyFrameMessage() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        let push = try ZMQSocket(context: context, type: .push)
        try pull.bind("inproc://empty")
        try push.connect("inproc://empty")
        try push.send([Data()])
        XCTAssertEqual(try pull.receive(timeoutMs: arrivalTimeoutMs), [Data()])
    }

    func testReceiveTimesOutWithNil() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        _ = try bindLoopback(pull)
        XCTAssertNil(try pull.receive(timeoutMs: 50))
        XCTAssertNil(try pull.receive(timeoutMs: 0))
    }

    func testPollerReportsReadability() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(context: context, type: .pull)
        let second = try ZMQSocket(context: context, type: .pull)
        let sender = try ZMQSocket(context: context, type: .push)
        try first.bind("inproc://poll-first")
        try second.bind("inproc://poll-second")
        try sender.connect("inproc://poll-second")

        XCTAssertEqual(try Poller.poll([first, second], timeoutMs: 20), [false, false])
        try sender.send([Data("ping".utf8)])
        XCTAssertEqual(try Poller.poll([first, second], timeoutMs: arrivalTimeoutMs), [false, true])
        XCTAssertEqual(try second.receive(timeoutMs: 0), [Data("ping".utf8)])
        XCTAssertEqual(try Poller.poll([first, second], timeoutMs: 0), [false, false])
    }

    func testTrySendReportsWouldBlockWithoutPeer() throws {
        let context = try ZMQContext()
        let dealer = try ZMQSocket(context: context, type: .dealer)
        XCTAssertFalse(try dealer.trySend([Data("nobody".utf8)]))

        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("inproc://try-send")
        try dealer.connect("inproc://try-send")
        XCTAssertTrue(try dealer.trySend([Data("somebody".utf8)]))
        XCTAssertEqual(try router.receive(timeoutMs: arrivalTimeoutMs)?.last, Data("somebody".utf8))
    }

    func testMandatoryRouterRejectsUnknownPeer() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.setRouterMandatory(true)
        try router.bind("inproc://mandatory")
        XCTAssertThrowsError(try router.send([Data("ghost".utf8), Data("hi".utf8)])) { error in
            let zmqError = error as? ZMQError
            XCTAssertEqual(zmqError?.isHostUnreachable, true, "\(error)")
        }
    }

    func testClosedSocketThrowsDescriptiveError() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pair)
        socket.close()
        socket.close()
        XCTAssertNil(socket.lastEndpoint)
        XCTAssertThrowsError(try socket.send([Data()])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, ENOTSOCK)
            XCTAssertTrue("\(error)".contains("zmq_send failed"), "\(error)")
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "\(error)")
        }
    }

    func testBindErrorNamesEndpoint() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .router)
        XCTAssertThrowsError(try socket.bind("nonsense://x")) { error in
            XCTAssertTrue("\(error)".contains("nonsense://x"), "\(error)")
        }
    }

    func testBlockedReceiveEndsWhenContextTerminates() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pull)
        try socket.bind("inproc://terminate")
        let outcome = ReceiveOutcome()
        let finished = expectation(description: "receive returned")
        Thread {
            do {
                _ = try socket.receive(timeoutMs: -1)
            } catch let error as ZMQError {
                outcome.error = error
            } catch {}
            socket.close()
            finished.fulfill()
        }.start()
        // The receiving thread may or may not have entered zmq_msg_recv yet; either way
        // termination must wake it (or fail its call) and then wait for its close.
        context.terminate()
        wait(for: [finished], timeout: 10)
        XCTAssertEqual(outcome.error?.isContextTerminated, true)
        XCTAssertThrowsError(try ZMQSocket(context: context, type: .pair))
    }

    func testOptionSettersAcceptValidValues() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setMaxMessageSize(1 << 20)
        try socket.setSendHighWaterMark(10)
        try socket.setReceiveHighWaterMark(10)
        try socket.setHeartbeat(intervalMs: 1000, timeoutMs: 5000, ttlMs: 5000)
        try socket.setReconnect(intervalMs: 100, maxMs: 3200)
        try socket.setImmediate(true)
        XCTAssertThrowsError(try socket.setIdentity(Data()))
    }
}

private final class ReceiveOutcome: @unchecked Sendable {
    var error: ZMQError?
}

import Foundation
import Wire
import XCTest

final class InMemoryHubTests: XCTestCase {
    private let hub = InMemoryHub()

    func testDealerMessagesArriveWithTheirIdentityAndRouterMessagesAreRoutedByIt() throws {
        let a = try hub.connect(identity: Data("a".utf8))
        let b = try hub.connect(identity: Data("b".utf8))
        XCTAssertTrue(try a.send([Data("1".utf8)]))
        XCTAssertTrue(try b.send([Data("2".utf8), Data("3".utf8)]))
        XCTAssertEqual(try hub.router.receive(timeoutMs: 0), [Data("a".utf8), Data("1".utf8)])
        XCTAssertEqual(try hub.router.receive(timeoutMs: 0), [Data("b".utf8), Data("2".utf8), Data("3".utf8)])
        XCTAssertNil(try hub.router.receive(timeoutMs: 0))

        XCTAssertTrue(try hub.router.send([Data("b".utf8), Data("x".utf8)]))
        XCTAssertNil(try a.receive(timeoutMs: 0))
        XCTAssertEqual(try b.receive(timeoutMs: 0), [Data("x".utf8)])
    }

    func testASendToAPeerThatIsNotConnectedFails() throws {
        let a = try hub.connect(identity: Data("a".utf8))
        XCTAssertThrowsError(try hub.router.send([Data("nobody".utf8), Data()])) {
            XCTAssertEqual($0 as? InMemoryTransportError, .hostUnreachable(Data("nobody".utf8)))
        }
        a.close()
        XCTAssertEqual(hub.connectedPeers, [])
        XCTAssertThrowsError(try hub.router.send([Data("a".utf8), Data()]))
        XCTAssertThrowsError(try a.send([Data()]))
    }

    func testAnIdentityInUseIsRefusedUntilItsEndCloses() throws {
        let a = try hub.connect(identity: Data("a".utf8))
        XCTAssertThrowsError(try hub.connect(identity: Data("a".utf8)))
        a.close()
        XCTAssertNoThrow(try hub.connect(identity: Data("a".utf8)))
    }

    func testAWaitingReceiveWakesWhenAMessageArrives() throws {
        let hub = self.hub
        let sent = expectation(description: "sent")
        let sender = Thread {
            _ = try? hub.connect(identity: Data("a".utf8)).send([Data("late".utf8)])
            sent.fulfill()
        }
        sender.start()
        XCTAssertEqual(try hub.router.receive(timeoutMs: -1), [Data("a".utf8), Data("late".utf8)])
        wait(for: [sent], timeout: 5)
    }
}

final class ZMQTransportTests: XCTestCase {
    func testARouterAndADealerExchangeMessagesByIdentity() throws {
        let router = try ZMQTransport.router(binding: "tcp://127.0.0.1:*")
        let endpoint = try XCTUnwrap(router.lastEndpoint)
        let dealer = try ZMQConnector(endpoint: endpoint).connect(identity: Data("w-1".utf8))
        defer {
            dealer.close()
            router.close()
        }
        XCTAssertTrue(try dealer.send([Data("ping".utf8)]))
        XCTAssertEqual(try router.receive(timeoutMs: 5000), [Data("w-1".utf8), Data("ping".utf8)])
        XCTAssertTrue(try router.send([Data("w-1".utf8), Data("pong".utf8)]))
        XCTAssertEqual(try dealer.receive(timeoutMs: 5000), [Data("pong".utf8)])
        XCTAssertThrowsError(try router.send([Data("nobody".utf8), Data("x".utf8)]), "ROUTER_MANDATORY refuses an unknown peer")
    }
}

final class ManualClockTests: XCTestCase {
    func testItMovesOnlyWhenAdvanced() {
        let clock = ManualClock()
        let start = clock.now
        XCTAssertEqual(clock.now, start)
        clock.advance(by: .milliseconds(1500))
        XCTAssertEqual(start.duration(to: clock.now), .milliseconds(1500))
    }
}

import XCTest
@testable import Wire

final class LivenessTests: XCTestCase {
    private let start = ContinuousClock.now

    private func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        start + .milliseconds(milliseconds)
    }

    func testDeadAfterLivenessSilentIntervals() {
        var liveness = Liveness(heartbeatMs: 1000, liveness: 5, now: start)
        XCTAssertFalse(liveness.isDead(now: at(4999)))
        XCTAssertTrue(liveness.isDead(now: at(5000)))

        liveness.heard(at: at(3000))
        XCTAssertFalse(liveness.isDead(now: at(7999)))
        XCTAssertTrue(liveness.isDead(now: at(8000)))
        XCTAssertEqual(liveness.remainingLiveness(now: at(3000)), 5)
        XCTAssertEqual(liveness.remainingLiveness(now: at(4500)), 4)
        XCTAssertEqual(liveness.remainingLiveness(now: at(7999)), 1)
        XCTAssertEqual(liveness.remainingLiveness(now: at(9000)), 0)

        liveness.heard(at: at(1000))
        XCTAssertEqual(liveness.lastHeard, at(3000), "an older timestamp must not rewind the clock")
    }

    func testHeartbeatDueEveryInterval() {
        var liveness = Liveness(heartbeatMs: 1000, liveness: 3, now: start)
        XCTAssertTrue(liveness.heartbeatDue(now: start))
        liveness.sentHeartbeat(at: at(0))
        XCTAssertFalse(liveness.heartbeatDue(now: at(999)))
        XCTAssertTrue(liveness.heartbeatDue(now: at(1000)))
    }

    func testPollTimeoutIsTheNearerDeadline() {
        var liveness = Liveness(heartbeatMs: 1000, liveness: 3, now: start)
        XCTAssertEqual(liveness.pollTimeoutMs(now: at(0)), 0, "first heartbeat is due at once")
        liveness.sentHeartbeat(at: at(0))
        XCTAssertEqual(liveness.pollTimeoutMs(now: at(250)), 750)
        liveness.sentHeartbeat(at: at(2900))
        XCTAssertEqual(liveness.pollTimeoutMs(now: at(2900)), 100, "death comes before the next heartbeat")
        XCTAssertEqual(liveness.pollTimeoutMs(now: at(4000)), 0)
    }

    func testBackoffDoublesToTheCapAndResets() {
        var backoff = ReconnectBackoff()
        let delays = (0..<8).map { _ in backoff.next() }
        XCTAssertEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000])
        backoff.reset()
        XCTAssertEqual(backoff.next(), 1000)

        var uneven = ReconnectBackoff(initialMs: 300, maxMs: 1000)
        XCTAssertEqual((0..<4).map { _ in uneven.next() }, [300, 600, 1000, 1000])
        var inverted = ReconnectBackoff(initialMs: 0, maxMs: -5)
        XCTAssertEqual((0..<2).map { _ in inverted.next() }, [1, 1])
    }

    func testHostileParametersAreClampedInsteadOfTrapping() {
        let zero = Liveness(heartbeatMs: 0, liveness: -3, now: start)
        XCTAssertEqual(zero.heartbeatMs, 1)
        XCTAssertEqual(zero.liveness, 1)
        XCTAssertTrue(zero.isDead(now: at(1)))
        var huge = Liveness(heartbeatMs: .max, liveness: .max, now: start)
        huge.sentHeartbeat(at: start)
        XCTAssertFalse(huge.isDead(now: at(86_400_000)))
        XCTAssertEqual(huge.pollTimeoutMs(now: start), Int32.max)
    }
}

import Foundation
import Wire
@testable import Worker
import XCTest

/// PROGRESS is bounded: one report per 5% step at most, and at most one send per 250 ms.
final class ProgressGateTests: XCTestCase {
    /// Feeds `fractions` one per `interval`, taking what the I/O thread would send after each.
    private func sent(_ fractions: [Double], every interval: Duration) -> [Double] {
        let gate = ProgressGate(), clock = ManualClock()
        gate.begin()
        return fractions.compactMap { fraction in
            gate.report(jobID: "a", attempt: 1, fraction: fraction)
            clock.advance(by: interval)
            return gate.take(now: clock.now)?.fraction
        }
    }

    func testReportsAreSentAtMostFourTimesASecondAndCoalesced() {
        // 1000 tiny trees over 2 s: 0.1% every 2 ms.
        let sent = sent((1...1000).map { Double($0) / 1000 }, every: .milliseconds(2))
        XCTAssertLessThanOrEqual(sent.count, 9, "\(sent)")
        XCTAssertGreaterThanOrEqual(sent.count, 7, "\(sent)")
        XCTAssertEqual(sent, sent.sorted())
    }

    func testEachFivePercentStepIsReportedWhenTrainingIsSlow() {
        let sent = sent((1...100).map { Double($0) / 100 }, every: .seconds(1))
        XCTAssertEqual(sent.count, 21, "the first report (training started), then one per 5% step")
        XCTAssertEqual(sent.first, 0.01)
        XCTAssertEqual(sent.dropFirst().first, 0.05)
    }

    func testTheOutcomeDiscardsAWaitingReport() {
        let gate = ProgressGate(), clock = ManualClock()
        gate.begin()
        gate.report(jobID: "a", attempt: 1, fraction: 0.1)
        XCTAssertNotNil(gate.take(now: clock.now))
        gate.report(jobID: "a", attempt: 1, fraction: 0.5)
        gate.end(jobID: "a")
        clock.advance(by: .seconds(1))
        XCTAssertNil(gate.take(now: clock.now))
        gate.report(jobID: "a", attempt: 1, fraction: .nan)
        XCTAssertNil(gate.take(now: clock.now))
    }
}

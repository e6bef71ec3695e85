import Foundation
import Wire
@testable import Worker
import XCTest

/// PROGRESS is bounded: one report per 5% step at most, and at most one send per 250 ms.
final class ProgressGateTests: XCTestCase {
    func testReportsAreSentAtMostFourTimesASecondAndCoalesced() {
        let gate = ProgressGate(), clock = ManualClock()
        gate.begin()
        var sent: [Double] = []
        // 1000 tiny trees over 2 s: 0.1% every 2 ms.
        for tree in 1...1000 {
            gate.report(jobID: "a", attempt: 1, fraction: Double(tree) / 1000)
            clock.advance(by: .milliseconds(2))
            if let header = gate.take(now: clock.now) { sent.append(header.fraction) }
        }
        XCTAssertLessThanOrEqual(sent.count, 9, "\(sent)")
        XCTAssertGreaterThanOrEqual(sent.count, 7, "\(sent)")
        XCTAssertEqual(sent, sent.sorted())
    }

    func testEachFivePercentStepIsReportedWhenTrainingIsSlow() {
        let gate = ProgressGate(), clock = ManualClock()
        gate.begin()
        var sent: [Double] = []
        for percent in 1...100 {
            gate.report(jobID: "a", attempt: 1, fraction: Double(percent) / 100)
            clock.advance(by: .seconds(1))
            if let header = gate.take(now: clock.now) { sent.append(header.fraction) }
        }
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

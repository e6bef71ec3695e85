@testable import Coordinator
import Foundation
import Wire
import XCTest

/// Workers report their own peak RSS on HEARTBEAT and RESULT; the coordinator keeps each
/// worker's largest, and drops and counts a malformed value without dropping its message.
final class PeakRSSReportTests: XCTestCase {
    private func heartbeat(_ json: String) -> Envelope { Envelope(command: .heartbeat, header: Data(json.utf8)) }

    func testTheLargestReportedPeakOfEachWorkerIsKept() throws {
        let harness = try ServerHarness(jobs: [ServerHarness.job("a"), ServerHarness.job("b")])
        let one = try harness.join("w1")
        let two = try harness.join("w2")
        let jobs = try harness.jobs(one) + harness.jobs(two)
        XCTAssertEqual(jobs.count, 2)
        try harness.send(one, .make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: [], peakRSSBytes: 300)))
        try harness.send(one, .make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: [], peakRSSBytes: 200)))
        try harness.send(two, .make(.heartbeat, HeartbeatHeader(workerID: "w2", busyJobs: [], peakRSSBytes: 50)))
        var result = try ServerHarness.result(try XCTUnwrap(harness.server.isFinished ? nil : "a"), attempt: 1)
        var header = try result.decodeHeader(ResultHeader.self)
        header.peakRSS = ReportedPeakRSS(900)
        let jobOfTwo = try XCTUnwrap(jobs.last).jobID
        header.jobID = jobOfTwo
        result = .make(.result, header, payload: result.payload)
        try harness.send(two, result)
        XCTAssertEqual(harness.server.workerPeakRSS, ["w1@host": 300, "w2@host": 900])
        XCTAssertEqual(harness.sink.accepted.map(\.job), [jobOfTwo])
        XCTAssertEqual(harness.server.counters.droppedValues, 0)
    }

    func testAMalformedPeakIsCountedAndTheMessageStillServes() throws {
        let harness = try ServerHarness(jobs: [ServerHarness.job("a")])
        let one = try harness.join("w1")
        let job = try XCTUnwrap(try harness.jobs(one).first)
        try harness.send(one, .make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: [], peakRSSBytes: 1000)))
        let receivedBefore = harness.server.counters.received
        try harness.send(one, heartbeat(#"{"busyJobs":[],"peakRSSBytes":"a lot","workerID":"w1"}"#))
        try harness.send(one, heartbeat(#"{"busyJobs":[],"peakRSSBytes":-5,"workerID":"w1"}"#))
        XCTAssertEqual(harness.server.counters.received, receivedBefore + 2, "the heartbeats themselves count as received")
        XCTAssertEqual(harness.server.counters.dropped, 0)
        XCTAssertEqual(harness.server.counters.droppedValuesByField, [ReportedPeakRSS.field: 2])
        XCTAssertTrue(harness.server.counters.json.contains(#""droppedValues":{"peakRSSBytes":2}"#), harness.server.counters.json)

        let report = try ServerHarness.result(job.jobID, attempt: job.attempt)
        var bad = String(decoding: report.header, as: UTF8.self)
        bad.insert(contentsOf: #""peakRSSBytes":"9 GB","#, at: bad.index(after: bad.startIndex))
        try harness.send(one, Envelope(command: .result, header: Data(bad.utf8), payload: report.payload))
        XCTAssertEqual(harness.sink.accepted.map(\.job), [job.jobID], "the result is registered without its peak")
        XCTAssertEqual(harness.server.workerPeakRSS, ["w1@host": 1000])
        XCTAssertEqual(harness.server.counters.droppedValuesByField, [ReportedPeakRSS.field: 3])
        XCTAssertTrue(harness.server.isFinished)
    }
}

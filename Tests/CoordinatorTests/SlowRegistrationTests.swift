@testable import Coordinator
import Foundation
import Registry
import Training
import Wire
import XCTest

/// Registering a result can take longer than the workers' liveness (at a million rows: the
/// reference profile over every training row). The coordinator must go on heartbeating and
/// hearing the workers meanwhile, or it declares them dead and requeues the jobs they run.
final class SlowRegistrationTests: XCTestCase {
    /// A sink whose `accept` takes 10 heartbeat intervals of the manual clock, during which the
    /// workers go on heartbeating as their I/O threads do.
    final class SlowSink: ResultSink {
        let clock: ManualClock
        let workers: [any MessageTransport]
        private(set) var changes: [(job: String, status: JobStatus)] = []
        private(set) var accepted: [String] = []

        init(clock: ManualClock, workers: [any MessageTransport]) {
            self.clock = clock
            self.workers = workers
        }

        func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String {
            for _ in 0..<10 {
                clock.advance(by: .seconds(1))
                for end in workers { _ = try end.send(Envelope.make(.heartbeat, HeartbeatHeader(workerID: "", busyJobs: [])).frames()) }
                Thread.sleep(forTimeInterval: 0.05)
            }
            accepted.append(job.id)
            return "\(job.id) v1"
        }

        func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
            changes.append((job.id, status))
        }
    }

    func testASlowRegistrationLosesNoWorkerAndKeepsHeartbeating() throws {
        let harness = try ServerHarness(jobs: [ServerHarness.job("a"), ServerHarness.job("b")])
        let one = try harness.join("w1")
        let two = try harness.join("w2")
        let jobOfOne = try XCTUnwrap(try harness.jobs(one).first)
        let jobOfTwo = try XCTUnwrap(try harness.jobs(two).first)
        let sink = SlowSink(clock: harness.clock, workers: [one, two])

        XCTAssertTrue(try one.send(try ServerHarness.result(jobOfOne.jobID, attempt: jobOfOne.attempt).frames()))
        try harness.server.step(sink: sink)
        XCTAssertEqual(sink.accepted, [jobOfOne.jobID])
        for _ in 0..<25 { try harness.server.step(sink: sink) }   // the heartbeats that arrived meanwhile

        XCTAssertFalse(sink.changes.contains { $0.status == .retrying || $0.status == .failed }, "\(sink.changes)")
        XCTAssertEqual(harness.server.counters.dropped, 0)
        var heartbeats = 0
        while let frames = try two.receive(timeoutMs: 0) {
            let envelope = try Envelope.parse(frames)
            XCTAssertNotEqual(envelope.command, .bye)
            if envelope.command == .heartbeat {
                heartbeats += 1
                XCTAssertEqual(try envelope.decodeHeader(HeartbeatHeader.self).busyJobs, [jobOfTwo.jobID], "w2 still holds its job")
            }
        }
        XCTAssertGreaterThanOrEqual(heartbeats, 5, "the coordinator heartbeats while it registers")

        XCTAssertTrue(try two.send(try ServerHarness.result(jobOfTwo.jobID, attempt: jobOfTwo.attempt).frames()))
        try harness.server.step(sink: sink)
        XCTAssertEqual(sink.accepted, [jobOfOne.jobID, jobOfTwo.jobID])
        XCTAssertTrue(harness.server.isFinished)
    }
}

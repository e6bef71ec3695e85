@testable import Coordinator
import Foundation
import Registry
import Training
import Wire
import XCTest

/// The run's timeline: each job from dispatch to registration, and the worker's next job sent
/// before the finished one is registered.
final class RunTimelineTests: XCTestCase {
    func testEachJobIsTimedFromDispatchToRegistrationAndTheNextJobGoesOutFirst() throws {
        let harness = try ServerHarness(jobs: [ServerHarness.job("a", cost: 2), ServerHarness.job("b", cost: 1)])
        harness.server.timelineOrigin = harness.clock.now
        let worker = try harness.join("w1")
        XCTAssertEqual(try harness.jobs(worker).map(\.jobID), ["a"])
        try harness.advance(seconds: 3, alive: [worker])
        var header = ResultHeader(jobID: "a", attempt: 1, seconds: 2.5, report: nil, cpuSeconds: 2.25, inputSeconds: 0.5)
        header.report = try JSONEncoder().encode(JobReport(model: "a", metrics: [], importance: [], features: [], parameters: "",
                                                           trainRows: 1, evalRows: 0, trainSeconds: 2, trees: 1))
        try harness.send(worker, .make(.result, header, payload: ResultPayload(artifact: Data([1]), predictions: [0.5]).encode()))
        XCTAssertEqual(try harness.jobs(worker).map(\.jobID), ["b"])

        let changes = harness.sink.changes.map { "\($0.job) \($0.status)" }
        let bStarted = try XCTUnwrap(changes.firstIndex(of: "b \(JobStatus.running)"))
        let aDone = try XCTUnwrap(changes.firstIndex(of: "a \(JobStatus.done)"))
        XCTAssertLessThan(bStarted, aDone, "the idle worker got its next job before the result was registered: \(changes)")

        let timed = try XCTUnwrap(harness.server.timeline.first)
        XCTAssertEqual(harness.server.timeline.count, 1)
        XCTAssertEqual(timed.job, "a")
        XCTAssertEqual(timed.worker, "w1@host")
        XCTAssertEqual(timed.dispatched, 0, accuracy: 1e-9)
        XCTAssertEqual(timed.received, 3, accuracy: 1e-9)
        XCTAssertEqual(timed.registered, 3, accuracy: 1e-9)
        XCTAssertEqual(timed.workerSeconds, 2.5)
        XCTAssertEqual(timed.workerCPUSeconds, 2.25)
        XCTAssertEqual(timed.inputSeconds, 0.5)
        XCTAssertGreaterThanOrEqual(timed.registerCPUSeconds, 0)
    }

    func testWorkersIdleTimeIsTheJobsPhaseLessTheirJobs() {
        func job(_ id: String, _ worker: String, dispatched: Double, seconds: Double) -> RunTimeline.Job {
            RunTimeline.Job(job: id, worker: worker, attempt: 1, dispatched: dispatched, received: dispatched + seconds, registered: dispatched + seconds,
                            workerSeconds: seconds, workerCPUSeconds: nil, inputSeconds: nil, registerCPUSeconds: 0)
        }
        var timeline = RunTimeline(jobs: [job("a", "w1", dispatched: 2, seconds: 5), job("b", "w2", dispatched: 2.5, seconds: 3),
                                          job("c", "w1", dispatched: 7, seconds: 4)])
        timeline.summarizeWorkers(end: 12)
        XCTAssertEqual(timeline.workers, [RunTimeline.Worker(worker: "w1", jobs: 2, busySeconds: 9, idleSeconds: 1),
                                          RunTimeline.Worker(worker: "w2", jobs: 1, busySeconds: 3, idleSeconds: 7)])
    }
}

@testable import Coordinator
import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Training
import Wire
import XCTest

/// The run-state model, the event sinks and the server's events, over an in-memory hub.
final class RunEventsTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func at(_ seconds: Double, _ event: RunEvent) -> RunEvent {
        var event = event
        event.time = start.addingTimeInterval(seconds)
        return event
    }

    private func startedRun() -> RunState {
        var state = RunState()
        state.apply(at(0, .runStarted("run-1", jobs: 3, alreadyDone: 0)))
        state.apply(at(0, .workerJoined("w1@h", host: "h", threads: 2)))
        state.apply(at(1, .job(.jobStarted, "churn/fold1", model: "churn", attempt: 1, worker: "w1@h")))
        return state
    }

    func testProgressGivesAnETAFromTheRateSoFar() {
        var state = startedRun()
        let event = state.apply(at(11, .jobProgress("churn/fold1", model: "churn", attempt: 1, worker: "w1@h", fraction: 0.25)))
        XCTAssertEqual(event.etaSeconds ?? -1, 30, accuracy: 1e-9)
        XCTAssertEqual(state.running["churn/fold1"]?.fraction, 0.25)
        XCTAssertEqual(state.workers["w1@h"]?.job, "churn/fold1")
        XCTAssertEqual([state.done, state.running.count, state.waiting, state.failed], [0, 1, 2, 0])
    }

    func testOutcomesMoveTheCountsAndStaleProgressIsIgnored() {
        var state = startedRun()
        state.apply(at(2, .jobDone("churn/fold1", model: "churn", attempt: 1, worker: "w1@h", seconds: 1, result: "x")))
        state.apply(at(3, .jobProgress("churn/fold1", model: "churn", attempt: 1, worker: "w1@h", fraction: 0.9)))
        XCTAssertNil(state.running["churn/fold1"])
        XCTAssertNil(state.workers["w1@h"]?.job)
        state.apply(at(4, .job(.jobStarted, "b", model: "b", attempt: 1, worker: "w1@h")))
        state.apply(at(5, .workerLost("w1@h", reason: "missed heartbeats")))
        state.apply(at(5, .jobEnded(.jobRetried, "b", model: "b", attempt: 2, worker: "w1@h", reason: "lost")))
        state.apply(at(6, .jobEnded(.jobFailed, "c", model: "c", attempt: 3, worker: nil, reason: "boom")))
        XCTAssertEqual([state.done, state.running.count, state.waiting, state.failed, state.retries], [1, 0, 1, 1, 1])
        XCTAssertTrue(state.workers.isEmpty)
    }

    func testNoEventEverCarriesANaN() throws {
        var event = RunEvent.jobProgress("a", model: "a", attempt: 1, worker: "w", fraction: .nan)
        XCTAssertNil(event.fraction)
        event = .jobDone("a", model: "a", attempt: 1, worker: "w", seconds: .infinity, result: "")
        XCTAssertNil(event.seconds)
        XCTAssertNil(RunState.eta(fraction: 0, elapsed: 5))
        XCTAssertNil(RunState.eta(fraction: 0.5, elapsed: 0))
    }

    func testJSONLinesAreOneObjectPerLineWithTimeAndType() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let hub = RunEventHub(sinks: [try JSONLinesEventLog(path: path)])
        hub.emit(.runStarted("run-1", jobs: 1, alreadyDone: 0))
        hub.emit(.job(.jobStarted, "a", model: "a", attempt: 1, worker: "w"))
        hub.emit(.jobProgress("a", model: "a", attempt: 1, worker: "w", fraction: 0.5))
        hub.emit(.runFinished("run-1", seconds: 1.5, failure: nil))
        hub.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        for line in lines {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertNotNil(object["time"] as? String)
            XCTAssertNotNil(RunEvent.Kind(rawValue: object["type"] as? String ?? ""))
        }
        let decoded = try lines.map { try JSONLinesEventLog.makeDecoder().decode(RunEvent.self, from: Data($0.utf8)) }
        XCTAssertEqual(decoded.map(\.type), [.runStarted, .jobStarted, .jobProgress, .runFinished])
        XCTAssertEqual(decoded[2].fraction, 0.5)
    }

    func testThePlainLogPrintsProgressAtMostEveryTenPercent() {
        var lines: [String] = []
        let hub = RunEventHub(sinks: [PlainEventLog { lines.append($0) }])
        hub.emit(.runStarted("run-1", jobs: 1, alreadyDone: 0))
        hub.emit(.job(.jobStarted, "a", model: "a", attempt: 1, worker: "w"))
        for step in 1...99 { hub.emit(.jobProgress("a", model: "a", attempt: 1, worker: "w", fraction: Double(step) / 100)) }
        hub.emit(.jobDone("a", model: "a", attempt: 1, worker: "w", seconds: 2, result: "a@1"))
        let progress = lines.filter { $0.contains("% on w") }
        XCTAssertEqual(progress.count, 9, lines.joined(separator: "\n"))
        XCTAssertEqual(lines.count, 12)
        XCTAssertTrue(lines.last?.contains("a done on w in 2.0 s → a@1 [1/1 done, 0 running, 0 waiting, 0 failed]") == true, lines.last ?? "")
    }

    func testTheLiveViewFitsTheTerminalAndDropsTheBarWhenNarrow() {
        var state = startedRun()
        state.apply(at(11, .jobProgress("churn/fold1", model: "churn", attempt: 1, worker: "w1@h", fraction: 0.5)))
        let renderer = LiveViewRenderer()
        let wide = renderer.lines(state, now: start.addingTimeInterval(23), width: 120)
        XCTAssertEqual(wide.count, 2)
        XCTAssertEqual(wide[0], "run run-1  00:23  jobs 0/3 done · 1 running · 2 waiting · 0 failed")
        XCTAssertEqual(wide[1], "worker w1@h  2 threads  churn/fold1 [########........]  50%  ETA 10s")
        let narrow = renderer.lines(state, now: start.addingTimeInterval(23), width: 50)
        XCTAssertEqual(narrow[1], "worker w1@h  2 threads  churn/fold1  50%  ETA 10s")
        for width in [20, 30, 50, 80] {
            XCTAssertTrue(renderer.lines(state, now: start, width: width).allSatisfy { $0.count < width }, "width \(width)")
        }
    }

    func testTheTerminalViewRedrawsInPlace() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let view = TerminalRunView(fd: fds[1], maxRate: 1000)
        let hub = RunEventHub(sinks: [view])
        hub.emit(.runStarted("run-1", jobs: 1, alreadyDone: 0))
        hub.emit(.workerJoined("w", host: "h", threads: 1))
        view.printAbove("warning: something")
        hub.close()
        close(fds[1])
        let output = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(output.contains("\u{1B}[1A"), output.debugDescription)
        XCTAssertTrue(output.contains("warning: something\n"), output.debugDescription)
        XCTAssertTrue(output.hasSuffix("\n"))
    }

    // MARK: the server's events

    func testTheServerEmitsWorkerJobAndProgressEvents() throws {
        let hub = InMemoryHub(), clock = ManualClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = TrainingJobSpec(model: "churn", kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [], evalShards: [])
        let jobs = [PlannedJob(id: "churn/full", spec: spec, dependsOn: [], estimatedCost: 1)]
        let server = CoordinatorServer(settings: .init(endpoint: "inproc://test", heartbeatMs: 1000, liveness: 3),
                                       jobs: JobBook(jobs: jobs, maxAttempts: 3), store: try ShardStore(directory: directory.path), runID: "run-1",
                                       logger: Logger(label: "test.events"), transport: hub.router, clock: clock)
        var kinds: [RunEvent.Kind] = []
        let events = RunEventHub(sinks: [ClosureSink { kinds.append($0.type) }])
        server.events = events
        let sink = EventingResultSink(AcceptingSink(), events: events)
        let worker = try hub.connect(identity: Data("w1".utf8))
        _ = try worker.send(Envelope.make(.hello, HelloHeader(workerID: "w1", host: "h", pid: 1, cores: 4, memoryBytes: 1, cachedShards: [], version: "t")).frames())
        try server.step(sink: sink)
        _ = try worker.send(Envelope.make(.progress, ProgressHeader(jobID: "churn/full", attempt: 1, fraction: 0.4, message: "training")).frames())
        try server.step(sink: sink)
        XCTAssertEqual(events.state.running["churn/full"]?.fraction, 0.4)
        XCTAssertEqual(events.state.workers["w1@h"]?.threads, 4)
        let report = JobReport(model: "churn", metrics: [], importance: [], features: [], parameters: "", trainRows: 1, evalRows: 0, trainSeconds: 2.5, trees: 1)
        let result = Envelope.make(.result, ResultHeader(jobID: "churn/full", attempt: 1, seconds: 2.5, report: try JSONEncoder().encode(report)),
                                   payload: ResultPayload(artifact: Data([1]), predictions: []).encode())
        _ = try worker.send(result.frames())
        try server.step(sink: sink)
        clock.advance(by: .seconds(10))
        try server.step(sink: sink)
        XCTAssertEqual(kinds, [.workerJoined, .jobStarted, .jobProgress, .jobDone, .workerLost])
        XCTAssertEqual(events.state.done, 1)
    }
}

private final class ClosureSink: RunEventSink {
    let body: (RunEvent) -> Void
    init(_ body: @escaping (RunEvent) -> Void) { self.body = body }
    func receive(_ event: RunEvent, state: RunState) { body(event) }
}


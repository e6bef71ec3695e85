@testable import Coordinator
import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Training
import Wire
import XCTest

/// A coordinator on an in-memory hub with a manual clock, and workers the test plays by hand:
/// the fixture of the backup-task and fuzz tests.
final class ServerHarness {
    let hub = InMemoryHub()
    let clock = ManualClock()
    let sink = AcceptingSink()
    let store: ShardStore
    let server: CoordinatorServer
    private let directory: URL

    init(jobs: [PlannedJob], maxAttempts: Int = 3, stragglers: StragglerWatch = StragglerWatch()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(UUID().uuidString)")
        store = try ShardStore(directory: directory.path)
        server = CoordinatorServer(settings: .init(endpoint: "inproc://test", heartbeatMs: 1000, liveness: 3),
                                   jobs: JobBook(jobs: jobs, maxAttempts: maxAttempts), store: store, runID: "run-1",
                                   logger: Logger(label: "test.server"), transport: hub.router, clock: clock)
        server.stragglers = stragglers
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    static func job(_ id: String, cost: Double = 1, kind: ModelKind = .gbdt) -> PlannedJob {
        let spec = TrainingJobSpec(model: id, kind: kind, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [], evalShards: [])
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: cost)
    }

    static func hello(_ workerID: String) -> Envelope {
        .make(.hello, HelloHeader(workerID: workerID, host: "host", pid: 1, cores: 1, memoryBytes: 1 << 30, cachedShards: [], version: "test"))
    }

    static func result(_ jobID: String, attempt: Int) throws -> Envelope {
        let report = JobReport(model: jobID, metrics: [], importance: [], features: [], parameters: "", trainRows: 1, evalRows: 0,
                               trainSeconds: 0, trees: 1)
        let header = ResultHeader(jobID: jobID, attempt: attempt, seconds: 0.1, report: try JSONEncoder().encode(report))
        return .make(.result, header, payload: ResultPayload(artifact: Data([1, 2, 3]), predictions: [0.5]).encode())
    }

    /// Connects a worker, says HELLO and lets the server handle it (and hand it a job).
    func join(_ workerID: String) throws -> any MessageTransport {
        let end = try hub.connect(identity: Data(workerID.utf8))
        try send(end, Self.hello(workerID))
        return end
    }

    func send(_ end: any MessageTransport, _ envelope: Envelope) throws {
        XCTAssertTrue(try end.send(envelope.frames()))
        try server.step(sink: sink)
    }

    /// Moves the clock on a second at a time; every worker in `alive` heartbeats each second.
    func advance(seconds: Int, alive: [any MessageTransport]) throws {
        for _ in 0..<seconds {
            clock.advance(by: .seconds(1))
            for end in alive { try send(end, .make(.heartbeat, HeartbeatHeader(workerID: "", busyJobs: []))) }
            try server.step(sink: sink)
        }
    }

    /// The JOB messages a worker received since the last call.
    func jobs(_ end: any MessageTransport) throws -> [JobHeader] {
        var out: [JobHeader] = []
        while let frames = try end.receive(timeoutMs: 0) {
            let envelope = try Envelope.parse(frames)
            if envelope.command == .job { out.append(try envelope.decodeHeader(JobHeader.self)) }
        }
        return out
    }
}

/// Accepts every result and records what the server hands it.
final class AcceptingSink: ResultSink {
    private(set) var accepted: [(job: String, attempt: Int, worker: String)] = []
    private(set) var changes: [(job: String, status: JobStatus, attempt: Int, worker: String?)] = []

    func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String {
        accepted.append((job.id, attempt, worker))
        return "\(job.id) v1"
    }

    func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
        changes.append((job.id, status, attempt, worker))
    }
}

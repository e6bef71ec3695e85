@testable import Coordinator
import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Training
import Wire
import XCTest

/// The coordinator's loop driven step by step over an in-memory hub with a manual clock.
final class CoordinatorServerTests: XCTestCase {
    private let hub = InMemoryHub()
    private let clock = ManualClock()
    private let sink = RecordingSink()
    private var directory: URL!
    private var store: ShardStore!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString)")
        store = try ShardStore(directory: directory.path)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: fixtures

    private func job(_ id: String, cost: Double = 1, shards: [String] = []) -> PlannedJob {
        let refs = shards.map { ShardRef(id: $0, rows: 10, bytes: 100) }
        let spec = TrainingJobSpec(model: id, kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: refs, evalShards: [])
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: cost)
    }

    private func server(_ jobs: [PlannedJob], maxAttempts: Int = 3) -> CoordinatorServer {
        CoordinatorServer(settings: .init(endpoint: "inproc://test", heartbeatMs: 1000, liveness: 3),
                          jobs: JobBook(jobs: jobs, maxAttempts: maxAttempts), store: store, runID: "run-1",
                          logger: Logger(label: "test.server"), transport: hub.router, clock: clock)
    }

    /// A worker end that has said HELLO; the server has not handled it yet.
    private func worker(_ peer: String, workerID: String? = nil, host: String = "host", pid: Int32 = 1, cached: [String] = [],
                        busy: [String]? = nil) throws -> any MessageTransport {
        let end = try hub.connect(identity: Data(peer.utf8))
        let hello = HelloHeader(workerID: workerID ?? peer, host: host, pid: pid, cores: 1, memoryBytes: 1 << 30,
                                cachedShards: cached, version: "test", busyJobs: busy)
        try send(end, .make(.hello, hello))
        return end
    }

    private func send(_ end: any MessageTransport, _ envelope: Envelope) throws {
        XCTAssertTrue(try end.send(envelope.frames()))
    }

    private func received(_ end: any MessageTransport) throws -> [Envelope] {
        var out: [Envelope] = []
        while let frames = try end.receive(timeoutMs: 0) { out.append(try Envelope.parse(frames)) }
        return out
    }

    private func jobs(in messages: [Envelope]) throws -> [JobHeader] {
        try messages.filter { $0.command == .job }.map { try $0.decodeHeader(JobHeader.self) }
    }

    private func result(_ jobID: String, attempt: Int) throws -> Envelope {
        let report = JobReport(model: jobID, metrics: [], importance: [], features: [], parameters: "", trainRows: 1, evalRows: 0,
                               trainSeconds: 0, trees: 1)
        let header = ResultHeader(jobID: jobID, attempt: attempt, seconds: 0.1, report: try JSONEncoder().encode(report))
        return .make(.result, header, payload: ResultPayload(artifact: Data([1, 2, 3]), predictions: [0.5]).encode())
    }

    private func heartbeats(in messages: [Envelope]) throws -> [HeartbeatHeader] {
        try messages.filter { $0.command == .heartbeat }.map { try $0.decodeHeader(HeartbeatHeader.self) }
    }

    // MARK: tests

    func testHelloIsWelcomed() throws {
        let server = server([])
        let w1 = try worker("w1")
        try server.step(sink: sink)
        let messages = try received(w1)
        XCTAssertEqual(messages.map(\.command), [.welcome])
        XCTAssertEqual(try messages[0].decodeHeader(WelcomeHeader.self), WelcomeHeader(coordinatorID: "run-1", heartbeatMs: 1000, liveness: 3))
    }

    func testAtTheEndOfAWatchRunOnlyItsOwnLocalWorkersAreToldToShutDown() throws {
        let server = server([job("a")])
        let here = ProcessInfo.processInfo.hostName
        let ends = [try worker("local", host: here, pid: 41), try worker("by-hand", host: here, pid: 42), try worker("remote", host: "gpu-1", pid: 41)]
        for _ in ends { try server.step(sink: sink) }
        for end in ends { _ = try received(end) }
        server.shutdownWorkers(keepingAllBut: [41])
        let reasons = try ends.map { try XCTUnwrap(try received($0).first { $0.command == .bye }).decodeHeader(ByeHeader.self).reason }
        XCTAssertEqual(reasons, ["shutdown", ByeHeader.nextRunReason, ByeHeader.nextRunReason])
    }

    func testAJobGoesToAnIdleWorkerAndNotToABusyOne() throws {
        let server = server([job("a", cost: 3), job("b", cost: 2)])
        let w1 = try worker("w1")
        try server.step(sink: sink)
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.jobID), ["a"])
        let w2 = try worker("w2")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w2)).map(\.jobID), ["b"])
        XCTAssertEqual(try jobs(in: try received(w1)), [])
        XCTAssertEqual(sink.changes.map(\.status), ["running", "running"])
    }

    func testTheLastJobGetsTheThreadsOfItsHostsIdleWorkers() throws {
        let first = job("inputs", cost: 3)
        var last = job("ensemble", cost: 1)
        last.dependsOn = ["inputs"]
        let server = server([first, last])
        let w1 = try worker("w1"), w2 = try worker("w2"), elsewhere = try worker("w3", host: "other-host")
        for _ in 0..<3 { try server.step(sink: sink) }
        let firstJobs = try jobs(in: try received(w1))
        XCTAssertEqual(firstJobs.map(\.jobID), ["inputs"])
        XCTAssertNil(firstJobs[0].threads, "another job is still to start")
        XCTAssertEqual(try [w2, elsewhere].flatMap { try jobs(in: try received($0)) }, [])
        try send(w1, try result("inputs", attempt: 1))
        try server.step(sink: sink)
        let lastJobs = try jobs(in: try received(w1))
        XCTAssertEqual(lastJobs.map(\.jobID), ["ensemble"])
        XCTAssertEqual(lastJobs[0].threads, 2, "both workers of its host, not the one on another host")
    }

    func testAWorkerThatCachesAJobsShardsGetsThatJob() throws {
        let server = server([job("a", cost: 9, shards: ["s1"]), job("b", cost: 8.5, shards: ["s2"])])
        let w1 = try worker("w1", cached: ["s2"])
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.jobID), ["b"])
    }

    func testFetchIsAnsweredWithChunks() throws {
        let shard = try store.write(try Table(names: ["x"], columns: [.numeric((0..<200).map(Double.init))]))
        let server = server([])
        let w1 = try worker("w1")
        try server.step(sink: sink)
        _ = try received(w1)
        try send(w1, .make(.fetch, FetchHeader(shardID: shard.id, offset: 0, size: 100)))
        try send(w1, .make(.fetch, FetchHeader(shardID: shard.id, offset: 100, size: ProtocolLimits.chunkBytes * 2)))
        try server.step(sink: sink)
        try server.step(sink: sink)
        let chunks = try received(w1)
        XCTAssertEqual(chunks.map(\.command), [.chunk, .chunk])
        let headers = try chunks.map { try $0.decodeHeader(ChunkHeader.self) }
        XCTAssertEqual(headers.map(\.offset), [0, 100])
        XCTAssertEqual(headers.map(\.last), [false, true])
        XCTAssertEqual(headers.map(\.totalSize), [shard.bytes, shard.bytes])
        XCTAssertEqual((chunks[0].payload ?? Data()) + (chunks[1].payload ?? Data()), try store.readBytes(shard.id, offset: 0, count: shard.bytes))

        try send(w1, .make(.fetch, FetchHeader(shardID: String(repeating: "0", count: 64), offset: 0, size: 100)))
        try server.step(sink: sink)
        XCTAssertEqual(try received(w1), [])
        XCTAssertEqual(server.counters.droppedByReason["fetch of unknown shard"], 1)
    }

    func testAResultIsAcceptedOnceAndTheHeartbeatAcknowledgesIt() throws {
        let server = server([job("a")])
        let w1 = try worker("w1")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.attempt), [1])
        clock.advance(by: .milliseconds(1000))
        try server.step(sink: sink)
        XCTAssertEqual(try heartbeats(in: try received(w1)).map(\.busyJobs), [["a"]])

        try send(w1, try result("a", attempt: 1))
        try send(w1, try result("a", attempt: 1))
        try server.step(sink: sink)
        try server.step(sink: sink)
        XCTAssertEqual(sink.accepted.map(\.job), ["a"])
        XCTAssertEqual(sink.accepted.first?.worker, "w1@host")
        XCTAssertEqual(sink.changes.map(\.status), ["running", "done"])
        XCTAssertTrue(server.isFinished)

        clock.advance(by: .milliseconds(1000))
        try server.step(sink: sink)
        XCTAssertEqual(try heartbeats(in: try received(w1)).map(\.busyJobs), [[]])
    }

    func testAFailedJobIsRetriedThenGivenUp() throws {
        let server = server([job("a")], maxAttempts: 2)
        let w1 = try worker("w1")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.attempt), [1])
        try send(w1, .make(.failed, FailedHeader(jobID: "a", attempt: 1, error: "boom")))
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.attempt), [2])
        try send(w1, .make(.failed, FailedHeader(jobID: "a", attempt: 2, error: "boom again")))
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)), [])
        XCTAssertEqual(sink.changes.map(\.status), ["running", "retrying", "running", "failed"])
        XCTAssertEqual(sink.changes.map(\.attempt), [1, 2, 2, 2])
        XCTAssertTrue(server.isFinished)
        XCTAssertTrue(sink.accepted.isEmpty)
    }

    func testASilentWorkerIsDeclaredDeadAndItsJobGoesToAnother() throws {
        let server = server([job("a")])
        let w1 = try worker("w1")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w1)).map(\.jobID), ["a"])
        let w2 = try worker("w2")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(w2)), [])

        clock.advance(by: .milliseconds(2500))
        try send(w2, .make(.heartbeat, HeartbeatHeader(workerID: "w2", busyJobs: [])))
        try server.step(sink: sink)
        XCTAssertEqual(sink.changes.map(\.status), ["running"])
        clock.advance(by: .milliseconds(500))
        try server.step(sink: sink)
        XCTAssertEqual(sink.changes.map(\.status), ["running", "retrying", "running"])
        XCTAssertEqual(try jobs(in: try received(w2)).map(\.attempt), [2])
        XCTAssertEqual(sink.changes.last?.worker, "w2@host")

        try send(w1, .make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: ["a"])))
        try server.step(sink: sink)
        XCTAssertEqual(try received(w1).last?.command, .bye)
    }

    func testAReconnectingWorkerKeepsTheJobItIsStillRunning() throws {
        let server = server([job("a", cost: 2), job("b", cost: 1)])
        let old = try worker("w-1", workerID: "w")
        try server.step(sink: sink)
        XCTAssertEqual(try jobs(in: try received(old)).map(\.jobID), ["a"])
        let fresh = try worker("w-2", workerID: "w", busy: ["a"])
        try server.step(sink: sink)
        XCTAssertEqual(try received(fresh).map(\.command), [.welcome])
        XCTAssertEqual(sink.changes.map(\.status), ["running"])

        try send(fresh, try result("a", attempt: 1))
        try server.step(sink: sink)
        XCTAssertEqual(sink.accepted.map(\.job), ["a"])
        XCTAssertEqual(sink.accepted.first?.worker, "w@host")
        XCTAssertEqual(try jobs(in: try received(fresh)).map(\.jobID), ["b"])
    }

    func testMalformedFramesAreDroppedAndCounted() throws {
        let server = server([])
        let w1 = try hub.connect(identity: Data("w1".utf8))
        XCTAssertTrue(try w1.send([Data("junk".utf8)]))
        XCTAssertTrue(try w1.send([Data(Envelope.protocolTag.utf8), Data("HELLO".utf8), Data("[1]".utf8)]))
        XCTAssertTrue(try w1.send(Envelope(command: .hello, header: Data(#"{"workerID":"w1"}"#.utf8)).frames()))
        for _ in 0..<3 { try server.step(sink: sink) }
        XCTAssertEqual(server.counters.dropped, 3)
        XCTAssertEqual(try received(w1), [])

        try send(w1, .make(.hello, HelloHeader(workerID: "w1", host: "host", pid: 1, cores: 1, memoryBytes: 1, cachedShards: [], version: "test")))
        try server.step(sink: sink)
        XCTAssertEqual(try received(w1).map(\.command), [.welcome])
    }
}

/// Records what the server hands its sink, and accepts every result.
private final class RecordingSink: ResultSink {
    struct Change {
        var job: String
        var status: String
        var attempt: Int
        var worker: String?
    }

    private(set) var accepted: [(job: String, attempt: Int, worker: String)] = []
    private(set) var changes: [Change] = []

    func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String {
        accepted.append((job.id, attempt, worker))
        return "\(job.id) v1"
    }

    func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?) {
        changes.append(Change(job: job.id, status: status.rawValue, attempt: attempt, worker: worker))
    }
}

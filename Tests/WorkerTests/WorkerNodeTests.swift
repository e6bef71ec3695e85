import Dataset
import Foundation
import Logging
import ModelZoo
import Training
import Wire
@testable import Worker
import XCTest

/// The worker's loop driven step by step over an in-memory hub with a manual clock; the test
/// plays the coordinator on the hub's ROUTER end, and training is an inline stub.
final class WorkerNodeTests: XCTestCase {
    private let hub = InMemoryHub()
    private let clock = ManualClock()
    private let trained = TrainedRows()
    private var directory: URL!
    private var shards: ShardStore!
    private var shard: ShardRef!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString)")
        shards = try ShardStore(directory: directory.appendingPathComponent("coordinator").path)
        shard = try shards.write(try Table(names: ["x", "y"], columns: [.numeric((0..<100).map(Double.init)),
                                                                        .numeric((0..<100).map { Double($0 % 2) })]))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: fixtures

    private func node() throws -> WorkerNode {
        var options = WorkerOptions(endpoint: "inproc://test", workerID: "w1", threads: 1,
                                    cacheDirectory: directory.appendingPathComponent("worker").path)
        options.chunkBytes = 256
        options.fetchWindow = 2
        let trained = self.trained
        let execution = JobExecution.inline { spec, _, inputs, progress in
            progress(1)
            trained.record(inputs.train.rowCount)
            trained.recordBinned(inputs.binned?.dataset.rowCount)
            let report = JobReport(model: spec.model, metrics: [], importance: [], features: [], parameters: "",
                                   trainRows: inputs.train.rowCount, evalRows: 0, trainSeconds: 0, trees: 1)
            return JobOutcome(artifact: Data("model".utf8), report: report, evalPredictions: [0.25])
        }
        return try WorkerNode(options: options, logger: Logger(label: "test.worker"), connector: hub, clock: clock, execution: execution)
    }

    /// What reached the coordinator's end since the last call.
    private func received() throws -> [RoutedEnvelope] {
        var out: [RoutedEnvelope] = []
        while let frames = try hub.router.receive(timeoutMs: 0) { out.append(try RoutedEnvelope.parse(frames)) }
        return out
    }

    private func send(_ peer: Data, _ envelope: Envelope) throws {
        XCTAssertTrue(try hub.router.send(RoutedEnvelope(peer: peer, envelope: envelope).frames()))
    }

    /// Connects and welcomes a worker; returns its peer id.
    private func welcome(_ node: WorkerNode) throws -> Data {
        XCTAssertNil(try node.step())
        let hello = try XCTUnwrap(try received().last)
        XCTAssertEqual(hello.envelope.command, .hello)
        try send(hello.peer, .make(.welcome, WelcomeHeader(coordinatorID: "run-1", heartbeatMs: 1000, liveness: 3)))
        XCTAssertNil(try node.step())
        XCTAssertEqual(try received().map(\.envelope.command), [.heartbeat], "a WELCOME starts the heartbeat")
        return hello.peer
    }

    private func sendJob(_ peer: Data, binned: ShardRef? = nil) throws {
        var spec = TrainingJobSpec(model: "a", kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [shard], evalShards: [])
        spec.binnedShard = binned
        try send(peer, .make(.job, JobHeader(jobID: "a", attempt: 1, runID: "run-1"), payload: try JSONEncoder().encode(spec)))
    }

    /// Steps the worker, answering its FETCHes as the coordinator would, until it sends RESULT.
    private func serveUntilResult(_ node: WorkerNode) throws -> (result: RoutedEnvelope, fetches: [FetchHeader]) {
        var fetches: [FetchHeader] = []
        for _ in 0..<100 {
            XCTAssertNil(try node.step())
            let messages = try received()
            XCTAssertLessThanOrEqual(messages.filter { $0.envelope.command == .fetch }.count, 2, "more FETCHes than the window")
            for message in messages {
                switch message.envelope.command {
                case .fetch:
                    let fetch = try message.envelope.decodeHeader(FetchHeader.self)
                    fetches.append(fetch)
                    let total = try shards.size(of: fetch.shardID)
                    let count = min(fetch.size, total - fetch.offset)
                    let header = ChunkHeader(shardID: fetch.shardID, offset: fetch.offset, totalSize: total,
                                             last: fetch.offset + count >= total)
                    try send(message.peer, .make(.chunk, header, payload: try shards.readBytes(fetch.shardID, offset: fetch.offset, count: count)))
                case .result:
                    return (message, fetches)
                default:
                    break
                }
            }
        }
        XCTFail("no RESULT after 100 steps")
        throw CancellationError()
    }

    private func commands(_ messages: [RoutedEnvelope]) -> [Command] {
        messages.map(\.envelope.command).filter { $0 != .heartbeat && $0 != .progress }
    }

    private func heartbeat(_ peer: Data, busy: [String]) throws {
        try send(peer, .make(.heartbeat, HeartbeatHeader(workerID: "w1", busyJobs: busy)))
    }

    // MARK: tests

    func testAJobFetchesItsShardsTrainsAndSendsTheResult() throws {
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer)
        let (result, fetches) = try serveUntilResult(node)
        XCTAssertEqual(result.peer, peer)
        XCTAssertEqual(fetches.map(\.offset), Array(stride(from: 0, to: shard.bytes, by: 256)))
        XCTAssertTrue(fetches.allSatisfy { $0.size == 256 && $0.shardID == shard.id })
        let header = try result.envelope.decodeHeader(ResultHeader.self)
        XCTAssertEqual(header.jobID, "a")
        XCTAssertEqual(header.attempt, 1)
        let payload = try ResultPayload.decode(try XCTUnwrap(result.envelope.payload))
        XCTAssertEqual(payload, ResultPayload(artifact: Data("model".utf8), predictions: [0.25]))
        XCTAssertEqual(trained.rows, [100])
        XCTAssertTrue(try ShardStore(directory: directory.appendingPathComponent("worker").path).contains(shard.id))
    }

    func testACachedShardIsNotFetchedAgain() throws {
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer)
        _ = try serveUntilResult(node)
        try heartbeat(peer, busy: [])
        XCTAssertNil(try node.step())
        try sendJob(peer)
        let (_, fetches) = try serveUntilResult(node)
        XCTAssertEqual(fetches, [])
        XCTAssertEqual(trained.rows, [100, 100])
    }

    func testTheSharedBinnedShardIsFetchedOnAMissAndReadFromTheCacheOnAHit() throws {
        let spec = TrainingJobSpec(model: "a", kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [shard], evalShards: [])
        let binned = try BinnedShard.make(train: try shards.read(shard.id), sources: [shard], spec: spec, threads: 1)
        let binnedRef = try shards.write(bytes: try binned.encode(), rows: 100)
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer, binned: binnedRef)
        let (_, missed) = try serveUntilResult(node)
        XCTAssertEqual(Set(missed.map(\.shardID)), [shard.id, binnedRef.id], "a miss fetches the binned shard with the rows")
        XCTAssertEqual(missed.filter { $0.shardID == binnedRef.id }.map(\.offset), Array(stride(from: 0, to: binnedRef.bytes, by: 256)))
        try heartbeat(peer, busy: [])
        XCTAssertNil(try node.step())
        try sendJob(peer, binned: binnedRef)
        let (_, hit) = try serveUntilResult(node)
        XCTAssertEqual(hit, [], "a hit reads both from the cache")
        XCTAssertEqual(trained.rows, [100, 100])
        XCTAssertEqual(trained.binnedRows, [100, 100], "both jobs trained with the binned rows")
    }

    func testTheResultIsKeptUntilAHeartbeatNoLongerListsItsJob() throws {
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer)
        _ = try serveUntilResult(node)

        try heartbeat(peer, busy: ["a"])
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [])
        clock.advance(by: .milliseconds(3001))
        try heartbeat(peer, busy: ["a"])
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [.result])

        try heartbeat(peer, busy: [])
        XCTAssertNil(try node.step())
        clock.advance(by: .milliseconds(3001))
        try heartbeat(peer, busy: ["a"])
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [])
    }

    func testAfterTheCoordinatorFallsSilentItReconnectsAndResendsTheResult() throws {
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer)
        _ = try serveUntilResult(node)

        clock.advance(by: .milliseconds(3000))
        XCTAssertNil(try node.step())
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [])

        clock.advance(by: .milliseconds(1000))
        XCTAssertNil(try node.step())
        let hello = try XCTUnwrap(try received().first)
        XCTAssertEqual(hello.envelope.command, .hello)
        XCTAssertNotEqual(hello.peer, peer)
        XCTAssertEqual(try hello.envelope.decodeHeader(HelloHeader.self).busyJobs, ["a"])
        XCTAssertEqual(try hello.envelope.decodeHeader(HelloHeader.self).cachedShards, [shard.id])

        try send(hello.peer, .make(.welcome, WelcomeHeader(coordinatorID: "run-1", heartbeatMs: 1000, liveness: 3)))
        XCTAssertNil(try node.step())
        let resent = try received()
        XCTAssertEqual(commands(resent), [.result])
        XCTAssertEqual(resent.first?.peer, hello.peer)
    }

    func testByeStopsTheWorkerAndByeReconnectMakesItSayHelloAgain() throws {
        let node = try node()
        let peer = try welcome(node)
        try send(peer, .make(.bye, ByeHeader(reason: "reconnect")))
        XCTAssertNil(try node.step())
        let hello = try XCTUnwrap(try received().first)
        XCTAssertEqual(hello.envelope.command, .hello)
        XCTAssertNotEqual(hello.peer, peer)

        try send(hello.peer, .make(.bye, ByeHeader(reason: "shutdown")))
        XCTAssertEqual(try node.step(), .shutdown("shutdown"))
    }

    func testByeNextRunKeepsTheWorkerRetryingAtMostTwoSecondsApartUntilWelcomed() throws {
        let node = try node()
        let peer = try welcome(node)
        try send(peer, .make(.bye, ByeHeader(reason: ByeHeader.nextRunReason)))
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [])
        clock.advance(by: .milliseconds(WorkerNode.nextRunFirstAttemptMs))
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [.hello])

        // Nobody answers for 40 s: 3 s of silence and at most 2 s of wait per attempt (the doubling backoff would make 4).
        var hellos: [RoutedEnvelope] = []
        for _ in 0..<400 {
            clock.advance(by: .milliseconds(100))
            XCTAssertNil(try node.step())
            hellos += try received().filter { $0.envelope.command == .hello }
        }
        XCTAssertGreaterThanOrEqual(hellos.count, 7)
        let last = try XCTUnwrap(hellos.last)
        try send(last.peer, .make(.welcome, WelcomeHeader(coordinatorID: "run-2", heartbeatMs: 1000, liveness: 3)))
        XCTAssertNil(try node.step())
        XCTAssertEqual(try received().map(\.envelope.command), [.heartbeat], "welcomed by the next run")
    }

    func testAJobWhileBusyIsRefused() throws {
        let node = try node()
        let peer = try welcome(node)
        try sendJob(peer)
        XCTAssertNil(try node.step())
        XCTAssertEqual(commands(try received()), [.fetch])
        try send(peer, .make(.job, JobHeader(jobID: "b", attempt: 1, runID: "run-1"), payload: Data("{}".utf8)))
        XCTAssertNil(try node.step())
        let refused = try XCTUnwrap(try received().first)
        XCTAssertEqual(try refused.envelope.decodeHeader(FailedHeader.self), FailedHeader(jobID: "b", attempt: 1, error: "worker w1 is busy"))
    }

    func testMalformedFramesAreDroppedAndCounted() throws {
        let node = try node()
        let peer = try welcome(node)
        XCTAssertTrue(try hub.router.send([peer, Data("junk".utf8)]))
        try send(peer, .make(.fetch, FetchHeader(shardID: shard.id, offset: 0, size: 1)))
        try send(peer, Envelope(command: .heartbeat, header: Data(#"{"busyJobs":3}"#.utf8)))
        for _ in 0..<3 { XCTAssertNil(try node.step()) }
        XCTAssertEqual(node.counters.dropped, 3)
        XCTAssertEqual(node.counters.droppedByReason["unexpected FETCH from coordinator"], 1)
        XCTAssertEqual(commands(try received()), [])
    }
}

/// The train-row counts the stub saw, shared with the (inline) training closure.
private final class TrainedRows: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int] = []

    private var binned: [Int] = []

    func record(_ rows: Int) { lock.withLock { counts.append(rows) } }
    func recordBinned(_ rows: Int?) { lock.withLock { if let rows { binned.append(rows) } } }
    var rows: [Int] { lock.withLock { counts } }
    var binnedRows: [Int] { lock.withLock { binned } }
}

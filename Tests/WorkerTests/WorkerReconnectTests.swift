import Dataset
import Foundation
import Logging
import ModelZoo
import Training
import Wire
@testable import Worker
import XCTest

/// A reconnect in the middle of a shard transfer: the CHUNKs of the old connection never come,
/// so the worker gives the job up instead of waiting on it forever.
final class WorkerReconnectTests: XCTestCase {
    func testAJobStillFetchingIsGivenUpOnReconnect() throws {
        let hub = InMemoryHub()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-reconnect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let shards = try ShardStore(directory: directory.appendingPathComponent("coordinator").path)
        let shard = try shards.write(try Table(names: ["x"], columns: [.numeric((0..<100).map(Double.init))]))
        let options = WorkerOptions(endpoint: "inproc://test", workerID: "w1", threads: 1, cacheDirectory: directory.appendingPathComponent("worker").path)
        let node = try WorkerNode(options: options, logger: Logger(label: "test.worker"), connector: hub, clock: ManualClock(),
                                  execution: .inline { _, _, _, _ in throw DroppedMessage("not reached") })
        func messages() throws -> [RoutedEnvelope] {
            var out: [RoutedEnvelope] = []
            while let frames = try hub.router.receive(timeoutMs: 0) { out.append(try RoutedEnvelope.parse(frames)) }
            return out
        }
        XCTAssertNil(try node.step())
        let peer = try XCTUnwrap(try messages().first).peer
        func send(_ envelope: Envelope) throws {
            XCTAssertTrue(try hub.router.send(RoutedEnvelope(peer: peer, envelope: envelope).frames()))
            XCTAssertNil(try node.step())
        }
        try send(.make(.welcome, WelcomeHeader(coordinatorID: "run-1", heartbeatMs: 1000, liveness: 3)))
        let spec = TrainingJobSpec(model: "a", kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: [shard], evalShards: [])
        try send(.make(.job, JobHeader(jobID: "a", attempt: 1, runID: "run-1"), payload: try JSONEncoder().encode(spec)))
        XCTAssertTrue(try messages().contains { $0.envelope.command == .fetch })

        try send(.make(.bye, ByeHeader(reason: "reconnect")))
        let hello = try XCTUnwrap(try messages().first { $0.envelope.command == .hello })
        XCTAssertEqual(try hello.envelope.decodeHeader(HelloHeader.self).busyJobs, [], "the cut transfer's job is not claimed")
    }
}

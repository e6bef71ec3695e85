import Foundation
import Logging
import TestSupport
import Wire
@testable import Worker
import XCTest

/// The worker's loop fed random and mutated coordinator messages: no crash, and every message
/// is counted as handled or dropped.
final class WorkerFuzzTests: XCTestCase {
    func testRandomFramesAreCountedAndTheWorkerStaysConnected() throws {
        let hub = InMemoryHub()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = WorkerOptions(endpoint: "inproc://fuzz", workerID: "w1", threads: 1, cacheDirectory: directory.path)
        let execution = JobExecution.inline { _, _, _, _ in throw DroppedMessage("no training in this test") }
        let node = try WorkerNode(options: options, logger: Logger(label: "test.worker"), connector: hub, clock: ManualClock(), execution: execution)
        XCTAssertNil(try node.step())
        let hello = try XCTUnwrap(try hub.router.receive(timeoutMs: 0).map(RoutedEnvelope.parse))
        let peer = hello.peer

        var fuzzer = FrameFuzzer(seeds: FuzzSeeds.toWorker + [Envelope.make(.bye, ByeHeader(reason: "reconnect")).frames()], seed: 3)
        var sent = 0
        while sent < 5_000 {
            let frames = fuzzer.next()
            // A valid BYE ends or reconnects the worker; that is tested elsewhere, and it would end this test.
            if let envelope = try? Envelope.parse(frames), envelope.command == .bye { continue }
            XCTAssertTrue(try hub.router.send([peer] + frames))
            sent += 1
            XCTAssertNil(try node.step())
        }
        XCTAssertEqual(node.counters.received + node.counters.dropped, sent)
        XCTAssertGreaterThan(node.counters.dropped, sent / 2)
        while try hub.router.receive(timeoutMs: 0) != nil {}
        XCTAssertTrue(try hub.router.send(RoutedEnvelope(peer: peer, envelope: .make(.bye, ByeHeader(reason: "shutdown"))).frames()))
        XCTAssertEqual(try node.step(), .shutdown("shutdown"), "the worker still listens after the garbage")
    }
}

@testable import Coordinator
import Foundation
import TestSupport
import Wire
import XCTest

/// The coordinator's loop fed random and mutated frames between real workers' messages: no
/// crash, every message counted as handled or dropped, and the run still completes.
final class ServerFuzzTests: XCTestCase {
    func testRandomFramesAreCountedAndTheRunCompletes() throws {
        let cluster = try ServerHarness(jobs: ["a", "b"].map { ServerHarness.job($0) })
        let honest = try cluster.join("honest")
        let attacker = try cluster.hub.connect(identity: Data("attacker".utf8))
        var fuzzer = FrameFuzzer(seeds: FuzzSeeds.toCoordinator, seed: 2)
        let garbage = 5_000
        var honestMessages = 1
        for index in 0..<garbage {
            XCTAssertTrue(try attacker.send(fuzzer.next()))
            try cluster.server.step(sink: cluster.sink)
            if index % 1000 == 0 {
                try cluster.advance(seconds: 1, alive: [honest])
                honestMessages += 1
            }
        }
        // A mutated HELLO may have made the attacker a worker holding a job: it is silent from now on.
        for _ in 0..<10 where !cluster.server.isFinished {
            for job in try cluster.jobs(honest) {
                try cluster.send(honest, try ServerHarness.result(job.jobID, attempt: job.attempt))
                honestMessages += 1
            }
            try cluster.advance(seconds: 1, alive: [honest])
            honestMessages += 1
        }
        XCTAssertTrue(cluster.server.isFinished, "\(cluster.sink.changes)")
        let counters = cluster.server.counters
        XCTAssertEqual(counters.received + counters.dropped, garbage + honestMessages)
        XCTAssertGreaterThan(counters.dropped, garbage / 2)
    }
}

import Foundation
import Registry
import Wire
import TestSupport
import XCTest

/// Failures with real processes: a worker killed mid-job, garbage on the coordinator's socket.
final class FaultTests: XCTestCase {
    func testAJobOfAKilledWorkerFinishesOnTheOtherWorker() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("kill")
        _ = try smallClusterFile(in: directory, rows: 4000, workers: 0, trees: 200, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 200, leaves: 15, shap_rows: 50, permutation_rows: 100 }
        """)
        let (coordinator, endpoint) = try engage.startCoordinator(in: directory)
        defer { coordinator.kill() }
        let victim = try engage.start(["worker", "--connect", endpoint, "--id", "victim", "--threads", "1", "--cache", "cache-victim"], in: directory, log: "victim.log")
        defer { victim.kill() }

        // Wait until the victim holds the only job, then start the survivor and kill the victim.
        let deadline = Date().addingTimeInterval(120)
        while !coordinator.output.contains("churn/full attempt 1 → victim"), Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(coordinator.output.contains("churn/full attempt 1 → victim"), coordinator.output)
        let survivor = try engage.start(["worker", "--connect", endpoint, "--id", "survivor", "--threads", "1", "--cache", "cache-survivor"], in: directory, log: "survivor.log")
        defer { survivor.kill() }
        Thread.sleep(forTimeInterval: 0.3)
        victim.kill(SIGKILL)

        XCTAssertTrue(coordinator.waitForExit(timeout: 300), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        XCTAssertTrue(coordinator.output.contains("lost with worker victim"), coordinator.output)
        XCTAssertTrue(coordinator.output.contains("churn/full attempt 2 → survivor"), coordinator.output)

        let registry = try ModelRegistry.openReadOnly(path: (directory as NSString).appendingPathComponent("registry/engage.sqlite"))
        let version = try registry.version(model: "churn", version: 1)
        XCTAssertTrue(version.worker.hasPrefix("survivor"), version.worker)
        XCTAssertEqual(try registry.versions().count, 1, "the killed attempt must not leave a version behind")
        let job = try XCTUnwrap(try registry.jobs(runID: version.runID).first { $0.jobID == "churn/full" })
        XCTAssertEqual(job.status, .done)
        XCTAssertEqual(job.attempt, 2)
        XCTAssertTrue(survivor.waitForExit(timeout: 10), "the survivor should leave after the coordinator's BYE")
    }

    func testGarbageFramesAreDroppedAndCountedWithoutACrash() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("garbage")
        _ = try smallClusterFile(in: directory, rows: 2000, workers: 0, trees: 10, models: """
          churn: { kind: gbdt, objective: binary, target: churn_30_day, trees: 10, leaves: 7, shap_rows: 50, permutation_rows: 100 }
        """)
        let (coordinator, endpoint) = try engage.startCoordinator(in: directory)
        defer { coordinator.kill() }

        let context = try ZMQContext()
        let attacker = try ZMQSocket(context: context, type: .dealer)
        try attacker.setLinger(milliseconds: 2000)
        try attacker.connect(endpoint)
        let garbage: [[Data]] = [
            [Data("hello".utf8)],
            [Data("ENG1".utf8), Data("NOPE".utf8), Data("{}".utf8)],
            [Data("ENG1".utf8), Data("HELLO".utf8), Data("not json".utf8)],
            [Data("ENG1".utf8), Data("HELLO".utf8), Data("{\"workerID\": 5}".utf8)],
            [Data("XXXX".utf8), Data("RESULT".utf8), Data("{}".utf8), Data(repeating: 0xFF, count: 1000)],
            [Data(), Data(), Data(), Data(), Data(), Data(), Data()],
        ]
        for frames in garbage { try attacker.send(frames) }
        attacker.close()
        context.terminate()

        let worker = try engage.start(["worker", "--connect", endpoint, "--id", "honest", "--threads", "1", "--cache", "cache"], in: directory, log: "worker.log")
        defer { worker.kill() }
        XCTAssertTrue(coordinator.waitForExit(timeout: 300), coordinator.output)
        XCTAssertEqual(coordinator.process.terminationStatus, 0, coordinator.output)
        XCTAssertTrue(coordinator.output.contains("\(garbage.count) malformed message(s) dropped"), coordinator.output)
    }
}

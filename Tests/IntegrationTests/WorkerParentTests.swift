import Foundation
import TestSupport
import XCTest

/// `engage worker --exit-with-parent --parent-pid PID`: a local worker whose starter died before
/// the worker got going (a watch killed right after it spawned its workers) exits by itself
/// instead of reconnecting forever.
final class WorkerParentTests: XCTestCase {
    func testAWorkerWhoseParentDiedBeforeItStartedExits() throws {
        let engage = try EngageBinary.locate()
        let directory = try makeTemporaryDirectory("worker-parent")
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let arguments = ["worker", "--connect", "tcp://127.0.0.1:9", "--id", "orphan", "--cache", "cache", "--heartbeat-ms", "200", "--exit-with-parent"]

        let orphan = try engage.start(arguments + ["--parent-pid", String(gone.processIdentifier)], in: directory, log: "orphan.log")
        defer { orphan.kill(SIGKILL) }
        XCTAssertTrue(orphan.waitForExit(timeout: 60), orphan.output)
        XCTAssertTrue(orphan.output.contains("the process that started this worker is gone"), orphan.output)

        // Its starter alive (this test process, here the worker's parent too): it stays.
        let kept = try engage.start(arguments + ["--parent-pid", String(getpid())], in: directory, log: "kept.log")
        defer { kept.kill(SIGKILL) }
        XCTAssertFalse(kept.waitForExit(timeout: 3), kept.output)
        kept.kill(SIGTERM)
        XCTAssertTrue(kept.waitForExit(timeout: 10))

        let refused = try engage.run(["worker", "--connect", "tcp://127.0.0.1:9", "--parent-pid", "1"], in: directory)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("give --exit-with-parent too"), refused.output)
    }
}

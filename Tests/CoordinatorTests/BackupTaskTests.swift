@testable import Coordinator
import Foundation
import Wire
import XCTest

/// Backup tasks: an idle worker with nothing pending gets a second copy of a straggling job,
/// the first result wins and the other is ignored.
final class BackupTaskTests: XCTestCase {
    func testASlowWorkersTailJobIsBackedUpAndTheBackupWins() throws {
        let cluster = try ServerHarness(jobs: ["a", "b", "c"].map { ServerHarness.job($0) })
        let fast = try cluster.join("fast"), slow = try cluster.join("slow")
        XCTAssertEqual(try cluster.jobs(fast).map(\.jobID), ["a"])
        XCTAssertEqual(try cluster.jobs(slow).map(\.jobID), ["b"])

        try cluster.advance(seconds: 2, alive: [fast, slow])
        try cluster.send(fast, try ServerHarness.result("a", attempt: 1))
        XCTAssertEqual(try cluster.jobs(fast).map(\.jobID), ["c"], "pending work goes first, before any backup")
        try cluster.advance(seconds: 2, alive: [fast, slow])
        try cluster.send(fast, try ServerHarness.result("c", attempt: 1))
        XCTAssertEqual(try cluster.jobs(fast), [], "b has run 4 s: over 2× the 2 s median, but under the 10 s minimum")

        try cluster.advance(seconds: 6, alive: [fast, slow])
        let backup = try cluster.jobs(fast)
        XCTAssertEqual(backup.map(\.jobID), ["b"])
        XCTAssertEqual(backup.map(\.attempt), [2])
        try cluster.advance(seconds: 5, alive: [fast, slow])
        XCTAssertEqual(try cluster.jobs(fast), [], "at most one backup per job")

        try cluster.send(fast, try ServerHarness.result("b", attempt: 2))
        try cluster.send(slow, try ServerHarness.result("b", attempt: 1))
        XCTAssertEqual(cluster.sink.accepted.filter { $0.job == "b" }.map(\.worker), ["fast@host"])
        XCTAssertEqual(cluster.sink.changes.filter { $0.job == "b" && $0.status == .done }.count, 1)
        XCTAssertTrue(cluster.server.isFinished)
        XCTAssertEqual(try cluster.server.serve(sink: cluster.sink).backupTasks, 1)
    }

    func testNoBackupWhilePendingWorkRemains() throws {
        let cluster = try ServerHarness(jobs: ["a", "b", "c", "d"].map { ServerHarness.job($0) },
                                        stragglers: StragglerWatch(minimumElapsed: .seconds(1)))
        let w1 = try cluster.join("w1"), w2 = try cluster.join("w2")
        try cluster.advance(seconds: 1, alive: [w1, w2])
        try cluster.send(w1, try ServerHarness.result("a", attempt: 1))
        try cluster.advance(seconds: 3, alive: [w1, w2])
        let w3 = try cluster.join("w3")
        XCTAssertEqual(try cluster.jobs(w3).map(\.jobID), ["d"], "b straggles (4 s against 1 s), yet d is still pending")
        XCTAssertEqual(try cluster.server.serve(sink: cluster.sink) { "stop" }.backupTasks, 0)
    }

    func testNoBackupWithoutAFinishedJobOfTheSameKind() {
        var watch = StragglerWatch(minimumElapsed: .seconds(1))
        let clock = ManualClock()
        let gbdt = ServerHarness.job("g"), forest = ServerHarness.job("f", kind: .anomaly)
        watch.started("g", at: clock.now)
        watch.started("f", at: clock.now)
        clock.advance(by: .seconds(1))
        watch.finished(gbdt, at: clock.now)
        clock.advance(by: .seconds(100))
        XCTAssertNil(watch.straggler(among: [forest], now: clock.now))
        XCTAssertEqual(watch.expectedSeconds(ServerHarness.job("g2", cost: 3)), 3, "scaled by the estimated cost ratio")
    }

    func testLosingEitherCopyLeavesTheOtherRunning() {
        var book = JobBook(jobs: [ServerHarness.job("a")], maxAttempts: 3)
        XCTAssertEqual(book.start("a", worker: "slow"), 1)
        XCTAssertNil(book.startBackup("a", worker: "slow"))
        XCTAssertEqual(book.startBackup("a", worker: "fast"), 2)
        XCTAssertNil(book.startBackup("a", worker: "third"))
        XCTAssertEqual(book.running(on: "fast").map(\.attempt), [2])
        XCTAssertEqual(book.requeue("a", attempt: 1, error: "lost"), .continuesOnBackup(worker: "fast", attempt: 2))
        XCTAssertEqual(book.states["a"], .running(worker: "fast", attempt: 2))
        XCTAssertEqual(book.startBackup("a", worker: "slow"), 3)
        XCTAssertEqual(book.requeue("a", attempt: 3, error: "lost"), .backupDropped)
        XCTAssertEqual(book.states["a"], .running(worker: "fast", attempt: 2))
        XCTAssertNil(book.startBackup("a", worker: "slow"), "a fourth attempt would exceed maxAttempts")
        XCTAssertEqual(book.backupsStarted, 2)
    }
}

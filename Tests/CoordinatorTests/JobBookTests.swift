@testable import Coordinator
import Dataset
import ModelZoo
import Training
import XCTest

final class JobBookTests: XCTestCase {
    private func job(_ id: String, cost: Double, shards: [String] = []) -> PlannedJob {
        let refs = shards.map { ShardRef(id: $0, rows: 10, bytes: 100) }
        let spec = TrainingJobSpec(model: id, kind: .gbdt, objective: .binary, target: "y", excludedColumns: [], quantiles: [],
                                   parameters: GBDTParameters(), role: .full, trainShards: refs, evalShards: [])
        return PlannedJob(id: id, spec: spec, dependsOn: [], estimatedCost: cost)
    }

    func testTheLongestCriticalPathGoesFirstAndCachedShardsOnlyBreakNearTies() {
        let book = JobBook(jobs: [job("b", cost: 5, shards: ["s2"]), job("a", cost: 9, shards: ["s1"])], maxAttempts: 3)
        XCTAssertEqual(book.next(cachedShards: [])?.id, "a")
        XCTAssertEqual(book.next(cachedShards: ["s2"])?.id, "a", "a 44% shorter job does not jump the queue for its cache")
        let near = JobBook(jobs: [job("a", cost: 9, shards: ["s1"]), job("b", cost: 8.5, shards: ["s2"])], maxAttempts: 3)
        XCTAssertEqual(near.next(cachedShards: []).map(\.id), "a")
        XCTAssertEqual(near.next(cachedShards: ["s2"])?.id, "b", "within 10%, the worker's cache decides")
    }

    func testALostJobIsRetriedThenGivenUp() {
        var book = JobBook(jobs: [job("a", cost: 1)], maxAttempts: 2)
        XCTAssertEqual(book.start("a", worker: "w1"), 1)
        XCTAssertEqual(book.requeue("a", attempt: 1, error: "lost"), .retried(attempt: 2))
        XCTAssertEqual(book.running(on: "w1").count, 0)
        XCTAssertEqual(book.start("a", worker: "w2"), 2)
        guard case .gaveUp(let message)? = book.requeue("a", attempt: 2, error: "boom") else { return XCTFail() }
        XCTAssertTrue(message.contains("boom"))
        XCTAssertTrue(book.isFinished)
        XCTAssertNotNil(book.firstFailure)
    }

    func testDuplicateResultsAreRefusedAndStaleRequeuesIgnored() {
        var book = JobBook(jobs: [job("a", cost: 1)], maxAttempts: 3)
        _ = book.start("a", worker: "w1")
        XCTAssertTrue(book.complete("a", attempt: 1, worker: "w1"))
        XCTAssertFalse(book.complete("a", attempt: 1, worker: "w1"))
        XCTAssertNil(book.requeue("a", attempt: 1, error: "late"))
        XCTAssertTrue(book.isFinished)
        XCTAssertNil(book.firstFailure)
    }

    func testJournalledJobsStartDone() {
        let book = JobBook(jobs: [job("a", cost: 1), job("b", cost: 2)], maxAttempts: 3, alreadyDone: ["b"])
        XCTAssertEqual(book.doneCount, 1)
        XCTAssertEqual(book.next(cachedShards: [])?.id, "a")
    }

    func testDependenciesWait() {
        var stack = job("ensemble", cost: 100)
        stack.dependsOn = ["a"]
        var book = JobBook(jobs: [stack, job("a", cost: 1)], maxAttempts: 3)
        XCTAssertEqual(book.next(cachedShards: [])?.id, "a")
        _ = book.start("a", worker: "w")
        XCTAssertNil(book.next(cachedShards: []))
        _ = book.complete("a", attempt: 1, worker: "w")
        XCTAssertEqual(book.next(cachedShards: [])?.id, "ensemble")
    }
}

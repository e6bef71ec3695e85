import Foundation
import Registry
import TestSupport
import XCTest

/// The batches table: a claim is recorded once per content, its decision and outcome kept.
final class BatchTests: XCTestCase {
    func testAClaimIsRecordedOncePerContentAndKeepsItsDecisionAndOutcome() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let first = try registry.claimBatch(sha256: "abc", file: "b1.csv", rows: 100)
        XCTAssertEqual(first.status, .claimed)
        try registry.decideBatch(sha256: "abc", verdict: "drift", trigger: "drift", runID: "watch-abc")
        let again = try registry.claimBatch(sha256: "abc", file: "b1-copy.csv", rows: 100)
        XCTAssertEqual(again.file, "b1.csv", "the same content claimed again keeps its first record")
        XCTAssertEqual(again.runID, "watch-abc")
        try registry.finishBatch(sha256: "abc", status: .done, action: "retrained", error: nil)
        try registry.claimBatch(sha256: "def", file: "b2.csv", rows: nil)
        try registry.finishBatch(sha256: "def", status: .failed, action: nil, error: "no column 'x'")

        let batches = try registry.batches()
        XCTAssertEqual(batches.map(\.sha256), ["abc", "def"])
        XCTAssertEqual(batches.map(\.status), [.done, .failed])
        XCTAssertEqual(batches[0].trigger, "drift")
        XCTAssertNotNil(batches[0].finishedAt)
        XCTAssertEqual(batches[1].error, "no column 'x'")
    }

    func testAWatchDecisionIsInTheModelsHistory() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        try registry.claimBatch(sha256: "abc", file: "b1.csv", rows: 10)
        try registry.finishBatch(sha256: "abc", status: .done, action: "none", error: nil)
        let batch = try XCTUnwrap(try registry.batch(sha256: "abc"))
        try registry.logWatchDecision(model: "churn", version: nil, batch: batch, reason: "no drift")
        let history = try registry.history(model: "churn")
        XCTAssertEqual(history.last?.action, "watch")
        XCTAssertEqual(history.last?.reason, "no drift")
        XCTAssertTrue(history.last?.detail.contains("b1.csv") ?? false)
    }
}

/// The schedule_slots table: a slot is recorded once per due time with the run id it was first given.
final class ScheduleSlotTests: XCTestCase {
    func testASlotIsRecordedOncePerDueTimeAndKeepsItsFirstRunID() throws {
        let dir = try TemporaryDirectory()
        let registry = try ModelRegistry(path: dir.databasePath)
        let due = Date(timeIntervalSince1970: 1_796_191_200)
        let first = try registry.claimScheduleSlot(dueAt: due, runID: "watch-schedule-a")
        XCTAssertEqual(first.status, .claimed)
        XCTAssertEqual(first.dueAt, due)
        let again = try registry.claimScheduleSlot(dueAt: due, runID: "watch-schedule-b")
        XCTAssertEqual(again.runID, "watch-schedule-a", "a slot claimed again keeps its run")
        try registry.finishScheduleSlot(dueAt: due, status: .done, action: "retrained", error: nil)
        try registry.claimScheduleSlot(dueAt: due.addingTimeInterval(-60), runID: "watch-schedule-c")

        let slots = try registry.scheduleSlots()
        XCTAssertEqual(slots.map(\.runID), ["watch-schedule-c", "watch-schedule-a"], "earliest due first")
        XCTAssertEqual(slots.map(\.status), [.claimed, .done])
        XCTAssertNotNil(slots[1].finishedAt)
        XCTAssertEqual(slots[1].action, "retrained")

        try registry.logWatchDecision(model: "churn", version: nil, slot: slots[1], reason: "candidates churn@2")
        let event = try XCTUnwrap(try registry.history(model: "churn").last)
        XCTAssertEqual(event.action, "watch")
        XCTAssertEqual(event.to, "retrained")
        XCTAssertTrue(event.detail.contains("watch-schedule-a"), event.detail)
    }
}

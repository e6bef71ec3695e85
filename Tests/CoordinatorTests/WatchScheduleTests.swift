@testable import Coordinator
import Foundation
import Registry
import TestSupport
import XCTest

/// When the watch's schedule is due, read from a real registry file: from the newest version of
/// a watched model, moved on by a finished slot, never by a slot still running.
final class WatchScheduleTests: XCTestCase {
    private func version(_ model: String) -> NewVersion {
        NewVersion(model: model, runID: "run-\(model)", kind: .gbdt, artifact: Data("\(model) bytes".utf8),
                   datasetSHA256: String(repeating: "d", count: 64), configSHA256: String(repeating: "c", count: 64),
                   shardIDs: ["aa11"], codeVersion: "0.1.0", worker: "w1", trainSeconds: 1)
    }

    func testTheScheduleCountsFromTheNewestWatchedVersionOrTheLastFinishedSlot() throws {
        let directory = try TemporaryDirectory()
        let registry = try ModelRegistry(path: directory.path + "/registry/engage.sqlite")
        let schedule = WatchSchedule(every: 3600, models: ["churn"])
        XCTAssertNil(try schedule.due(registry), "without a version there is nothing to count from")

        let churn = try registry.register(version("churn"))
        let due = try XCTUnwrap(try schedule.due(registry))
        XCTAssertEqual(due.timeIntervalSince1970, (churn.createdAt.timeIntervalSince1970 + 3600).rounded(.up))
        XCTAssertEqual(due.timeIntervalSince1970, due.timeIntervalSince1970.rounded(), "a due time is a whole second")
        try registry.register(version("not_watched"))
        XCTAssertEqual(try schedule.due(registry), due, "a model the watch does not watch does not move the schedule")

        try registry.claimScheduleSlot(dueAt: due, runID: WatchSchedule.runID(due: due))
        XCTAssertEqual(try schedule.due(registry), due, "a slot still running does not move the schedule")
        try registry.finishScheduleSlot(dueAt: due, status: .done, action: "retrained", error: nil)
        let finished = try XCTUnwrap(try registry.scheduleSlot(dueAt: due)?.finishedAt)
        XCTAssertEqual(try schedule.due(registry)?.timeIntervalSince1970, (finished.timeIntervalSince1970 + 3600).rounded(.up),
                       "a finished slot moves the schedule even when its run registered nothing")

        // The same registry read by a second process (a restarted watch) gives the same answer.
        let reopened = try ModelRegistry.openReadOnly(path: directory.path + "/registry/engage.sqlite")
        XCTAssertEqual(try schedule.due(reopened), try schedule.due(registry))
    }

    func testASlotsRunIDAndNameComeFromItsDueTime() {
        let due = Date(timeIntervalSince1970: 1_796_191_200)
        XCTAssertEqual(WatchSchedule.runID(due: due), "watch-schedule-20261202T060000Z")
        XCTAssertEqual(WatchSchedule.text(due), "2026-12-02T06:00:00Z")
    }
}

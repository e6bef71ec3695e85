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
        let schedule = WatchSchedule(schedule: .every(3600), models: ["churn"])
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

    func testACronScheduleIsDueAtItsFirstTimeAfterTheLastTraining() throws {
        let directory = try TemporaryDirectory()
        let registry = try ModelRegistry(path: directory.path + "/registry/engage.sqlite")
        let churn = try registry.register(version("churn"))
        let schedule = WatchSchedule(schedule: .cron(try CronExpression(parsing: "*/15 * * * *")), models: ["churn"])
        let due = try XCTUnwrap(try schedule.due(registry))
        let minutes = churn.createdAt.timeIntervalSince1970 / 60
        XCTAssertEqual(due.timeIntervalSince1970, ((minutes / 15).rounded(.down) + 1) * 15 * 60, "the next quarter hour after the training")
    }

    func testCronExpressionsNameTheirTimesInUTC() throws {
        let utc = { (text: String) -> Date in ISO8601DateFormatter().date(from: text)! }
        let cases: [(String, String, String)] = [
            ("0 6 * * *", "2026-12-02T05:59:30Z", "2026-12-02T06:00:00Z"),
            ("0 6 * * *", "2026-12-02T06:00:00Z", "2026-12-03T06:00:00Z"),
            ("*/20 9-10 * * *", "2026-12-02T10:41:00Z", "2026-12-03T09:00:00Z"),
            ("30 2 1 * *", "2026-12-02T00:00:00Z", "2027-01-01T02:30:00Z"),
            ("0 0 * * 0", "2026-12-02T00:00:00Z", "2026-12-06T00:00:00Z"),
            ("0 0 * * 7", "2026-12-02T00:00:00Z", "2026-12-06T00:00:00Z"),
            ("0 12 15 * 1", "2026-12-02T00:00:00Z", "2026-12-07T12:00:00Z"),
            ("0 0 29 2 *", "2026-12-02T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("5,10 1 * 3-4/1 *", "2026-12-02T00:00:00Z", "2027-03-01T01:05:00Z"),
        ]
        for (expression, after, expected) in cases {
            XCTAssertEqual(try CronExpression(parsing: expression).next(after: utc(after)), utc(expected), "\(expression) after \(after)")
        }
        XCTAssertNil(try CronExpression(parsing: "0 0 31 2 *").next(after: utc("2026-12-02T00:00:00Z")))
        for (bad, message) in [("0 6 * *", "found 4"), ("60 * * * *", "minute '60': outside 0–59"), ("* * 0 * *", "day of month '0'"),
                               ("*/0 * * * *", "step"), ("a * * * *", "expected *, a number"), ("5-1 * * * *", "range")] {
            XCTAssertThrowsError(try CronExpression(parsing: bad)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
    }
}

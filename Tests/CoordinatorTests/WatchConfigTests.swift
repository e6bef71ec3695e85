import Coordinator
import Foundation
import XCTest

final class WatchConfigTests: XCTestCase {
    func testTheWatchSectionIsRead() throws {
        XCTAssertNil(try ClusterConfig.parse("work_dir: w\n").watch)
        let config = try ClusterConfig.parse("""
            watch:
              inbox: inbox
              schedule: every 6h
              drift: true
              performance_drop: 0.02
              window: { last_batches: 3 }
              promote: { auto: true, margin: 0.005 }
            """)
        let watch = try XCTUnwrap(config.watch)
        XCTAssertEqual(watch.inbox, "inbox")
        XCTAssertEqual(watch.schedule, .every(6 * 3600))
        XCTAssertEqual(watch.performanceDrop, 0.02)
        XCTAssertEqual(watch.window, .lastBatches(3))
        XCTAssertTrue(watch.autoPromote)
        XCTAssertEqual(watch.margin, 0.005)
        XCTAssertEqual(try ClusterConfig.parse("watch:\n  inbox: i\n  window: all\n").watch?.window, .all)
        XCTAssertEqual(try ClusterConfig.parse("watch:\n  inbox: i\n  schedule: \"0 */6 * * *\"\n").watch?.schedule,
                       .cron(try CronExpression(parsing: "0 */6 * * *")))
    }

    func testTheWatchSectionIsStrict() {
        let cases = [
            ("watch:\n  inbx: i\n", "watch.inbx"),
            ("watch:\n  drift: true\n", "watch.inbox"),
            ("watch:\n  inbox: i\n  schedule: hourly\n", "watch.schedule"),
            ("watch:\n  inbox: i\n  schedule: every 6w\n", "watch.schedule"),
            ("watch:\n  inbox: i\n  schedule: \"0 25 * * *\"\n", "hour '25': outside 0–23"),
            ("watch:\n  inbox: i\n  schedule: \"0 0 31 2 *\"\n", "names no time"),
            ("watch:\n  inbox: i\n  window: { last_weeks: 2 }\n", "watch.window.last_weeks"),
            ("watch:\n  inbox: i\n  promote: { auto: yes please }\n", "watch.promote.auto"),
        ]
        for (text, key) in cases {
            XCTAssertThrowsError(try ClusterConfig.parse(text, file: "c.yaml"), text) { error in
                XCTAssertTrue(String(describing: error).contains(key), "\(error)")
                XCTAssertTrue(String(describing: error).contains("c.yaml"), "\(error)")
            }
        }
    }

    func testTheInboxTakesOnlyFinishedCSVNamesAndClaimsEachOnce() throws {
        let root = NSTemporaryDirectory() + "inbox-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let inbox = try Inbox(directory: root)
        for name in ["b1.csv", ".b2.csv", "b3.csv.tmp", "notes.txt"] {
            try "a\n1\n".write(toFile: inbox.path("", name), atomically: false, encoding: .utf8)
        }
        XCTAssertEqual(try inbox.waiting(), ["b1.csv"])
        XCTAssertNotNil(try inbox.claim("b1.csv"))
        XCTAssertNil(try inbox.claim("b1.csv"), "a batch is claimed once")
        XCTAssertEqual(try inbox.unfinished(), ["b1.csv"])
        try inbox.finish("b1.csv", failed: false)
        XCTAssertEqual(try inbox.unfinished(), [])
        XCTAssertTrue(FileManager.default.fileExists(atPath: inbox.donePath("b1.csv")))
    }
}

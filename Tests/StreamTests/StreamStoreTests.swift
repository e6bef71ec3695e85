import Dataset
import Foundation
import GRDB
@testable import Stream
import TestSupport
import XCTest

/// The stream database on a real SQLite file: an event is stored once whatever is committed
/// again, and alerts and aggregates count only the rows that were new.
final class StreamStoreTests: XCTestCase {
    private func event(_ id: String, _ score: Double, version: Int = 1) -> ScoredEvent {
        ScoredEvent(eventID: id, customer: "c-\(id)", model: "churn", version: version, score: score, delivery: "f.csv")
    }

    func testARepeatedCommitChangesNothingAndAlertsFollowTheThreshold() throws {
        let dir = try TemporaryDirectory()
        let store = try StreamStore(path: dir.path + "/stream/stream.sqlite")
        let time = Date(timeIntervalSince1970: 1_796_191_200 + 125)
        let first = try store.commit([event("a", 0.9), event("b", 0.2), event("c", 0.7)], threshold: 0.7,
                                     completing: [DeliveryRecord(sha256: "s1", source: "inbox", label: "f.csv", rows: 3)], at: time)
        XCTAssertEqual(first, { var r = CommitResult(); r.inserted = 3; r.alerts = 2; return r }())
        // The same events again (a restart scoring the file a second time), with one new one, scored by another version.
        let again = try store.commit([event("a", 0.1, version: 2), event("c", 0.95, version: 2), event("d", 0.8, version: 2)], threshold: 0.7,
                                     completing: [], at: time)
        XCTAssertEqual(again.inserted, 1)
        XCTAssertEqual(again.duplicates, 2)
        XCTAssertEqual(again.alerts, 1)

        XCTAssertEqual(try store.counts(), StreamCounts(predictions: 4, alerts: 3, deliveries: 1, aggregatedEvents: 4))
        let reader = try DatabaseQueue(path: store.path)
        try reader.read { db in
            XCTAssertEqual(try Double.fetchOne(db, sql: "SELECT score FROM predictions WHERE event_id = 'a'"), 0.9, "the first score stays")
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT event_id FROM alerts ORDER BY event_id"), ["a", "c", "d"])
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM aggregate_means WHERE period = 'hour' ORDER BY version")
            XCTAssertEqual(rows.map { $0["start"] as String }, ["2026-12-02T06:00:00Z", "2026-12-02T06:00:00Z"])
            XCTAssertEqual(rows.map { $0["events"] as Int }, [3, 1])
            XCTAssertEqual(rows[0]["mean_score"] as Double, (0.9 + 0.2 + 0.7) / 3, accuracy: 1e-12)
            XCTAssertEqual(rows.map { $0["alerts"] as Int }, [2, 1])
            XCTAssertEqual(try String.fetchAll(db, sql: "SELECT DISTINCT start FROM aggregates WHERE period = 'day'"), ["2026-12-02T00:00:00Z"])
        }
        XCTAssertEqual(try store.delivery(sha256: "s1")?.rows, 3)
        XCTAssertNil(try store.delivery(sha256: "s2"))
    }

    func testEventsParseWithTheirIdsAndAMissingIdNamesItsLineAndColumn() throws {
        let batch = try EventBatch.parse(Data("event_id,user_id,age\n17,c1,30\nx-2,c2,41\n".utf8), source: "a.csv", categorical: [])
        XCTAssertEqual(batch.eventIDs, ["17", "x-2"])
        XCTAssertEqual(batch.customers, ["c1", "c2"])
        XCTAssertEqual(batch.sha256, SHA256.hex(Data("event_id,user_id,age\n17,c1,30\nx-2,c2,41\n".utf8)))
        XCTAssertThrowsError(try EventBatch.parse(Data("event_id,user_id,age\n1,c1,3\n,c2,4\n".utf8), source: "b.csv", categorical: [])) {
            XCTAssertEqual("\($0)", "b.csv:3, column 1 (event_id): empty event_id; every event needs one")
        }
        XCTAssertThrowsError(try EventBatch.parse(Data("id,user_id\n1,c\n".utf8), source: "c.csv", categorical: [])) {
            XCTAssertTrue("\($0)".hasPrefix("c.csv: no column 'event_id'"), "\($0)")
        }
    }

    func testSourcesAndDurationsParseOrSayWhatIsExpected() throws {
        XCTAssertEqual(try StreamSourceSpec(parsing: "inbox:/srv/events"), .inbox("/srv/events"))
        XCTAssertEqual(try StreamSourceSpec(parsing: "zmq:tcp://127.0.0.1:5600"), .zmq("tcp://127.0.0.1:5600"))
        XCTAssertThrowsError(try StreamSourceSpec(parsing: "kafka:events"))
        XCTAssertEqual(try StreamSourceSpec.seconds("30s", option: "--max-wait"), 30)
        XCTAssertEqual(try StreamSourceSpec.seconds("250ms", option: "--max-wait"), 0.25)
        XCTAssertEqual(try StreamSourceSpec.seconds("2m", option: "--max-wait"), 120)
        XCTAssertEqual(try StreamSourceSpec.seconds("1.5", option: "--max-wait"), 1.5)
        XCTAssertThrowsError(try StreamSourceSpec.seconds("soon", option: "--max-wait")) {
            XCTAssertEqual("\($0)", "--max-wait soon: expected a duration such as 30s, 500ms or 2m")
        }
    }
}

import Foundation
import GRDB
import Registry

/// The stream database: every scored event once, its alert, the hourly and daily aggregates,
/// and the deliveries (files, producer batches) whose rows are all committed.
///
/// A separate SQLite file, not the registry: predictions grow by the million and are kept and
/// pruned on their own schedule, and a stream committing a batch every second must not hold the
/// registry's single writer lock against the coordinators and watches that register versions.
///
/// Exactly-once results rest on `predictions.event_id` being the primary key: a batch is inserted
/// with `INSERT OR IGNORE` in one transaction, and only the rows that were new count into the
/// alerts and aggregates of that same transaction, so a batch scored again after a crash or a
/// producer's resend changes nothing.
public final class StreamStore: @unchecked Sendable {
    let pool: DatabasePool
    public let path: String

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // A committed batch is acknowledged to its producer: it must survive power loss.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StreamError("\(path): cannot open the stream database: \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("stream-v1") { db in
            try db.execute(sql: """
                CREATE TABLE predictions (
                    event_id  TEXT PRIMARY KEY NOT NULL,
                    customer  TEXT NOT NULL,
                    model     TEXT NOT NULL,
                    version   INTEGER NOT NULL,
                    score     REAL NOT NULL,
                    scored_at TEXT NOT NULL,
                    delivery  TEXT NOT NULL
                );
                CREATE INDEX predictions_by_customer ON predictions(customer);
                CREATE TABLE alerts (
                    event_id  TEXT PRIMARY KEY NOT NULL REFERENCES predictions(event_id),
                    customer  TEXT NOT NULL,
                    model     TEXT NOT NULL,
                    version   INTEGER NOT NULL,
                    score     REAL NOT NULL,
                    threshold REAL NOT NULL,
                    raised_at TEXT NOT NULL
                );
                CREATE TABLE aggregates (
                    period      TEXT NOT NULL CHECK (period IN ('hour', 'day')),
                    start       TEXT NOT NULL,
                    model       TEXT NOT NULL,
                    version     INTEGER NOT NULL,
                    events      INTEGER NOT NULL,
                    score_sum   REAL NOT NULL,
                    alerts      INTEGER NOT NULL,
                    PRIMARY KEY (period, start, model, version)
                );
                CREATE VIEW aggregate_means AS
                    SELECT period, start, model, version, events, score_sum / events AS mean_score, alerts FROM aggregates;
                CREATE TABLE deliveries (
                    sha256       TEXT PRIMARY KEY NOT NULL,
                    source       TEXT NOT NULL,
                    label        TEXT NOT NULL,
                    rows         INTEGER NOT NULL,
                    committed_at TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    /// Commits one micro-batch: its scored events (new event ids only), their alerts and
    /// aggregates, and the deliveries this batch completes, in one transaction.
    @discardableResult
    public func commit(_ events: [ScoredEvent], threshold: Double, completing: [DeliveryRecord], at time: Date = Date()) throws -> CommitResult {
        let stamp = StreamTime.text(time)
        let hour = StreamTime.hourStart(time)
        let day = StreamTime.dayStart(time)
        return try pool.write { db in
            let insert = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO predictions (event_id, customer, model, version, score, scored_at, delivery) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let alert = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO alerts (event_id, customer, model, version, score, threshold, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            var totals: [String: (model: String, version: Int, events: Int, sum: Double, alerts: Int)] = [:]
            var result = CommitResult()
            for event in events {
                try insert.execute(arguments: [event.eventID, event.customer, event.model, event.version, event.score, stamp, event.delivery])
                guard db.changesCount == 1 else { result.duplicates += 1; continue }
                result.inserted += 1
                let raised = event.score >= threshold
                if raised {
                    try alert.execute(arguments: [event.eventID, event.customer, event.model, event.version, event.score, threshold, stamp])
                    result.alerts += 1
                }
                let key = "\(event.model)@\(event.version)"
                var total = totals[key] ?? (event.model, event.version, 0, 0, 0)
                total.events += 1
                total.sum += event.score
                total.alerts += raised ? 1 : 0
                totals[key] = total
            }
            for total in totals.values {
                for (period, start) in [("hour", hour), ("day", day)] {
                    try db.execute(sql: """
                        INSERT INTO aggregates (period, start, model, version, events, score_sum, alerts) VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (period, start, model, version) DO UPDATE SET
                            events = events + excluded.events, score_sum = score_sum + excluded.score_sum, alerts = alerts + excluded.alerts
                        """, arguments: [period, start, total.model, total.version, total.events, total.sum, total.alerts])
                }
            }
            for delivery in completing {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO deliveries (sha256, source, label, rows, committed_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [delivery.sha256, delivery.source, delivery.label, delivery.rows, stamp])
            }
            return result
        }
    }

    /// The delivery of this content, when all its rows were committed before.
    public func delivery(sha256: String) throws -> DeliveryRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE sha256 = ?", arguments: [sha256]).map {
                DeliveryRecord(sha256: $0["sha256"], source: $0["source"], label: $0["label"], rows: $0["rows"])
            }
        }
    }

    /// Row counts of the four tables, for the summary line and tests.
    public func counts() throws -> StreamCounts {
        try pool.read { db in
            StreamCounts(predictions: try Int.fetchOne(db, sql: "SELECT count(*) FROM predictions") ?? 0,
                         alerts: try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts") ?? 0,
                         deliveries: try Int.fetchOne(db, sql: "SELECT count(*) FROM deliveries") ?? 0,
                         aggregatedEvents: try Int.fetchOne(db, sql: "SELECT coalesce(sum(events), 0) FROM aggregates WHERE period = 'day'") ?? 0)
        }
    }
}

/// One event with its score, as the stream commits it.
public struct ScoredEvent: Sendable, Equatable {
    public var eventID: String
    public var customer: String
    public var model: String
    public var version: Int
    public var score: Double
    /// The file or producer batch it came in.
    public var delivery: String

    public init(eventID: String, customer: String, model: String, version: Int, score: Double, delivery: String) {
        self.eventID = eventID
        self.customer = customer
        self.model = model
        self.version = version
        self.score = score
        self.delivery = delivery
    }
}

/// A file or producer batch whose rows are all committed, by the SHA-256 of its content.
public struct DeliveryRecord: Codable, Sendable, Equatable {
    public var sha256: String
    /// `inbox` or `zmq`.
    public var source: String
    /// The file name or the producer's batch id.
    public var label: String
    public var rows: Int

    public init(sha256: String, source: String, label: String, rows: Int) {
        self.sha256 = sha256
        self.source = source
        self.label = label
        self.rows = rows
    }
}

/// What one commit changed.
public struct CommitResult: Codable, Sendable, Equatable {
    public var inserted = 0
    public var duplicates = 0
    public var alerts = 0
    public init() {}
}

/// Rows in the stream database's tables.
public struct StreamCounts: Codable, Sendable, Equatable {
    public var predictions: Int
    public var alerts: Int
    public var deliveries: Int
    /// The events the daily aggregates count (equal to `predictions` when nothing was counted twice).
    public var aggregatedEvents: Int

    enum CodingKeys: String, CodingKey {
        case predictions, alerts, deliveries
        case aggregatedEvents = "aggregated_events"
    }
}

/// The stream's hour and day buckets (UTC); its times are written in the registry's one text form (`StoredDate`).
enum StreamTime {
    static func text(_ date: Date) -> String { StoredDate.encode(date) }

    /// `2026-12-02T06:00:00Z` for any time in that hour.
    static func hourStart(_ date: Date) -> String {
        wholeSeconds(Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600))
    }

    /// `2026-12-02T00:00:00Z` for any time that day.
    static func dayStart(_ date: Date) -> String {
        wholeSeconds(Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86400).rounded(.down) * 86400))
    }

    /// `StoredDate`'s form without its (zero) milliseconds.
    private static func wholeSeconds(_ date: Date) -> String {
        String(StoredDate.encode(date).dropLast(5)) + "Z"
    }
}

/// Why the stream cannot go on, or refuses a delivery: names the file, batch, row or column.
public struct StreamError: Error, CustomStringConvertible, LocalizedError {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}

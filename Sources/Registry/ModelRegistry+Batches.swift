import Foundation
import GRDB

/// One inbox batch of `engage watch`, by content: what was decided about it and what came of it.
public struct BatchRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Claimed (moved to processing/) and recorded; not yet decided.
        case claimed
        case done
        case failed
    }

    public var sha256: String
    public var file: String
    public var rows: Int?
    public var claimedAt: Date
    public var finishedAt: Date?
    public var status: Status
    /// `drift`, `no drift`, …
    public var verdict: String?
    /// What made the watch retrain: `drift`, `performance_drop`, `schedule`; nil when nothing did.
    public var trigger: String?
    /// `none`, `retrained: churn@3 (candidate)`, `promoted churn@3`, …
    public var action: String?
    /// The retraining run of this batch's trigger, recorded before it starts.
    public var runID: String?
    public var error: String?
}

/// The batches table: recording a claim, the retraining run a trigger starts, and the outcome.
extension ModelRegistry {
    /// Records a claimed batch; a batch already recorded keeps its row, which is returned.
    @discardableResult
    public func claimBatch(sha256: String, file: String, rows: Int?) throws -> BatchRecord {
        try requireWritable()
        return try pool.write { db in
            try db.execute(sql: """
                INSERT INTO batches (sha256, file, rows, claimed_at, status) VALUES (?, ?, ?, ?, 'claimed')
                ON CONFLICT (sha256) DO NOTHING
                """, arguments: [sha256, file, rows, StoredDate.encode(Date())])
            return try Self.batch(sha256, db)!
        }
    }

    /// Sets the decision of a claimed batch: its verdict, trigger and, before the run starts, the run id.
    public func decideBatch(sha256: String, verdict: String, trigger: String?, runID: String?) throws {
        try requireWritable()
        try pool.write { db in
            try db.execute(sql: "UPDATE batches SET verdict = ?, trigger = ?, run_id = ? WHERE sha256 = ?",
                           arguments: [verdict, trigger, runID, sha256])
        }
    }

    public func finishBatch(sha256: String, status: BatchRecord.Status, action: String?, error: String?) throws {
        try requireWritable()
        try pool.write { db in
            try db.execute(sql: "UPDATE batches SET status = ?, action = ?, error = ?, finished_at = ? WHERE sha256 = ?",
                           arguments: [status.rawValue, action, error, StoredDate.encode(Date()), sha256])
        }
    }

    public func batch(sha256: String) throws -> BatchRecord? {
        try pool.read { db in try Self.batch(sha256, db) }
    }

    /// Every batch in claim order.
    public func batches() throws -> [BatchRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM batches ORDER BY claimed_at, rowid").map(Self.batch)
        }
    }

    private static func batch(_ sha256: String, _ db: Database) throws -> BatchRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM batches WHERE sha256 = ?", arguments: [sha256]).map(batch)
    }

    private static func batch(_ row: Row) throws -> BatchRecord {
        BatchRecord(sha256: row["sha256"], file: row["file"], rows: row["rows"], claimedAt: try date(row, "claimed_at"),
                    finishedAt: try optionalDate(row, "finished_at"),
                    status: BatchRecord.Status(rawValue: row["status"]) ?? .failed, verdict: row["verdict"], trigger: row["trigger"],
                    action: row["action"], runID: row["run_id"], error: row["error"])
    }

    /// Logs one watch decision about a batch in the audit log of `model` (`engage registry history`).
    public func logWatchDecision(model: String, version: Int?, batch: BatchRecord, reason: String?) throws {
        try requireWritable()
        let actor = self.actor
        try pool.write { db in
            try db.execute(sql: "INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [model, StoredDate.encode(Date())])
            _ = try Self.log(db, model: model, version: version, action: .watch, actor: actor, from: nil, to: batch.action,
                             reason: reason, detail: batch)
        }
    }
}

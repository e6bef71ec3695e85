import Foundation
import GRDB

/// One due time of `engage watch`'s schedule and what came of it: the schedule's counterpart of
/// a ``BatchRecord``, so that a retraining no batch started has an identity of its own that a
/// restarted watch finds again.
public struct ScheduleSlot: Codable, Sendable, Equatable {
    /// When the schedule said the models were due (whole seconds): the slot's identity.
    public var dueAt: Date
    /// The slot's retraining run, recorded before it starts.
    public var runID: String
    public var claimedAt: Date
    public var finishedAt: Date?
    /// `claimed` until the decision is recorded, then `done`, or `failed` when the run was refused.
    public var status: BatchRecord.Status
    /// `retrained`, `promoted`, `kept`, `failed`.
    public var action: String?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case dueAt = "due_at"
        case runID = "run_id"
        case claimedAt = "claimed_at"
        case finishedAt = "finished_at"
        case status, action, error
    }
}

/// The schedule_slots table: a slot is claimed with its run id before the run starts, and finished once.
extension ModelRegistry {
    /// Records the slot due at `dueAt` with its run id; a slot already recorded keeps its row, which is returned.
    @discardableResult
    public func claimScheduleSlot(dueAt: Date, runID: String) throws -> ScheduleSlot {
        try requireWritable()
        let due = StoredDate.encode(dueAt)
        return try pool.write { db in
            try db.execute(sql: """
                INSERT INTO schedule_slots (due_at, run_id, claimed_at, status) VALUES (?, ?, ?, 'claimed')
                ON CONFLICT (due_at) DO NOTHING
                """, arguments: [due, runID, StoredDate.encode(Date())])
            return try Self.scheduleSlot(try Row.fetchOne(db, sql: "SELECT * FROM schedule_slots WHERE due_at = ?", arguments: [due])!)
        }
    }

    public func finishScheduleSlot(dueAt: Date, status: BatchRecord.Status, action: String?, error: String?) throws {
        try requireWritable()
        try pool.write { db in
            try db.execute(sql: "UPDATE schedule_slots SET status = ?, action = ?, error = ?, finished_at = ? WHERE due_at = ?",
                           arguments: [status.rawValue, action, error, StoredDate.encode(Date()), StoredDate.encode(dueAt)])
        }
    }

    public func scheduleSlot(dueAt: Date) throws -> ScheduleSlot? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM schedule_slots WHERE due_at = ?", arguments: [StoredDate.encode(dueAt)]).map(Self.scheduleSlot)
        }
    }

    /// Every slot, earliest due first.
    public func scheduleSlots() throws -> [ScheduleSlot] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM schedule_slots ORDER BY due_at").map(Self.scheduleSlot)
        }
    }

    /// Logs one schedule-slot decision of the watch in the audit log of `model` (`engage registry history`).
    public func logWatchDecision(model: String, version: Int?, slot: ScheduleSlot, reason: String?) throws {
        try requireWritable()
        let actor = self.actor
        try pool.write { db in
            try db.execute(sql: "INSERT INTO models (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [model, StoredDate.encode(Date())])
            _ = try Self.log(db, model: model, version: version, action: .watch, actor: actor, from: nil, to: slot.action,
                             reason: reason, detail: slot)
        }
    }

    private static func scheduleSlot(_ row: Row) throws -> ScheduleSlot {
        ScheduleSlot(dueAt: try date(row, "due_at"), runID: row["run_id"], claimedAt: try date(row, "claimed_at"),
                     finishedAt: try optionalDate(row, "finished_at"), status: BatchRecord.Status(rawValue: row["status"]) ?? .failed,
                     action: row["action"], error: row["error"])
    }
}

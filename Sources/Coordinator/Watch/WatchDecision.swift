import Foundation

/// What `engage watch` decided about one batch, or one slot of its schedule, and what came of
/// it: one line of `--once` output, one JSON object of `--json`.
public struct WatchDecision: Codable, Sendable, Equatable {
    /// What the watch did: nothing, trained candidates, promoted one, kept production, or refused the batch.
    public enum Action: String, Codable, Sendable {
        case none, retrained, promoted, kept, failed
    }

    /// The batch's file name; nil for a schedule slot.
    public var batch: String?
    public var sha256: String?
    /// The due time of the schedule slot (ISO 8601, UTC) that started the retraining; nil for a batch.
    public var slot: String?
    public var rows: Int?
    public var verdict: String
    public var trigger: String?
    public var action: Action
    public var runID: String?
    /// The versions the retraining registered, e.g. `churn@2`.
    public var versions: [String] = []
    public var why: String
    /// The per-model drift and performance findings (empty when the batch was decided by an earlier watch).
    public var models: [ModelAssessment] = []

    enum CodingKeys: String, CodingKey {
        case batch, sha256, slot, rows, verdict, trigger, action, versions, why, models
        case runID = "run_id"
    }

    public init(batch: String, sha256: String, rows: Int?, verdict: String, trigger: String?, action: Action, runID: String?, why: String) {
        self.batch = batch
        self.sha256 = sha256
        self.rows = rows
        self.verdict = verdict
        self.trigger = trigger
        self.action = action
        self.runID = runID
        self.why = why
    }

    /// The decision about a schedule slot: its verdict is `due`.
    public init(slot: String, trigger: String, action: Action, runID: String, why: String) {
        self.slot = slot
        self.verdict = "due"
        self.trigger = trigger
        self.action = action
        self.runID = runID
        self.why = why
    }

    public var line: String {
        var text = batch.map { "\($0) [\((sha256 ?? "").prefix(12))]" } ?? "schedule slot \(slot ?? "")"
        text += ": \(verdict) → \(action.rawValue)"
        if let trigger { text += " (trigger: \(trigger))" }
        if let runID { text += " run \(runID)" }
        if !versions.isEmpty { text += " versions \(versions.joined(separator: ", "))" }
        return text + " — \(why)"
    }
}

/// The `trigger` document stored with every version of a watch retraining: what made it and
/// which inbox batches its rows came from.
struct WatchLineage: Codable {
    static let registryName = "trigger"

    var trigger: String
    /// The batch whose trigger started the run; nil for a schedule slot.
    var batch: String?
    /// The due time of the schedule slot that started the run; nil for a batch.
    var slot: String?
    /// SHA-256 of every batch in the training rows, oldest first.
    var batches: [String]
    var batchFiles: [String]
    var window: String

    enum CodingKeys: String, CodingKey {
        case trigger, batch, slot, batches, window
        case batchFiles = "batch_files"
    }
}

import Foundation

/// What `engage watch` decided about one batch and what came of it: one line of `--once`
/// output, one JSON object of `--json`.
public struct WatchDecision: Codable, Sendable, Equatable {
    /// What the watch did: nothing, trained candidates, promoted one, kept production, or refused the batch.
    public enum Action: String, Codable, Sendable {
        case none, retrained, promoted, kept, failed
    }

    public var batch: String
    public var sha256: String
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
        case batch, sha256, rows, verdict, trigger, action, versions, why, models
        case runID = "run_id"
    }

    public var line: String {
        var text = "\(batch) [\(sha256.prefix(12))]: \(verdict) → \(action.rawValue)"
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
    /// The batch whose trigger started the run.
    var batch: String
    /// SHA-256 of every batch in the training rows, oldest first.
    var batches: [String]
    var batchFiles: [String]
    var window: String

    enum CodingKeys: String, CodingKey {
        case trigger, batch, batches, window
        case batchFiles = "batch_files"
    }
}
